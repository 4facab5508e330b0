import GantryModel
import Testing

@Suite("AccessPolicy")
struct AccessPolicyTests {
    private let alice = Caller(user: "alice", roles: ["admin"], source: .password)
    private let bob = Caller(user: "bob", roles: ["release"], source: .token)
    private let dave = Caller(user: "dave", roles: ["developer"], source: .session)
    private let erin = Caller(user: "erin", roles: [], source: .proxy)

    /// The README's rules.
    private func readmeRules() throws -> [AccessRule] {
        [
            AccessRule(actions: [.force], builders: [try Pattern(glob: "release-*")], roles: ["release"]),
            AccessRule(actions: [.force, .rebuild], roles: ["developer"]),
            AccessRule(actions: [.stop, .cancel], roles: ["owner", "admin"]),
            AccessRule(actions: AccessAction.control, roles: ["admin"]),
        ]
    }

    @Test("a rule matches its actions, and each glob list it has the target's name for that list")
    func matching() throws {
        let rule = AccessRule(
            actions: [.force, .rebuild], builders: [try Pattern(glob: "release-*"), try Pattern(glob: "tag?")],
            roles: ["release"])
        #expect(rule.matches(.force, AccessTarget(builder: "release-1.0")))
        #expect(rule.matches(.rebuild, AccessTarget(builder: "tag1", owner: "bob")))
        #expect(!rule.matches(.stop, AccessTarget(builder: "release-1.0")))
        #expect(!rule.matches(.force, AccessTarget(builder: "linux")))
        #expect(!rule.matches(.force, AccessTarget(builder: "pre-release-1")), "a glob matches the whole name")
        #expect(!rule.matches(.force, .any), "a target without a builder does not match a rule about builders")

        let workers = AccessRule(actions: [.pauseWorker], workers: [try Pattern(glob: "ci-*")], roles: ["ops"])
        #expect(workers.matches(.pauseWorker, AccessTarget(worker: "ci-3")))
        #expect(!workers.matches(.pauseWorker, AccessTarget(worker: "mac-1")))
        let schedulers = AccessRule(actions: [.enableScheduler], schedulers: [try Pattern(glob: "nightly")], roles: [])
        #expect(schedulers.matches(.enableScheduler, AccessTarget(scheduler: "nightly")))
        #expect(!schedulers.matches(.enableScheduler, AccessTarget(builder: "nightly")))
        #expect(AccessRule(actions: [.reconfig], roles: ["admin"]).matches(.reconfig, .any))
    }

    @Test("a rule grants a role in common, or owner to the target's owner")
    func granting() {
        let rule = AccessRule(actions: [.stop], roles: ["owner", "admin"])
        #expect(rule.grants(alice, .any))
        #expect(rule.grants(dave, AccessTarget(builder: "linux", owner: "dave")))
        #expect(!rule.grants(dave, AccessTarget(builder: "linux", owner: "bob")))
        #expect(!rule.grants(dave, AccessTarget(builder: "linux")))
        #expect(!rule.grants(.anonymous, AccessTarget(owner: nil)), "nobody owns what has no owner")
        #expect(!AccessRule(actions: [.stop], roles: ["admin"]).grants(dave, AccessTarget(owner: "dave")))
    }

    @Test("without auth everything is allowed to everyone")
    func open() {
        for action in AccessAction.allCases {
            #expect(AccessPolicy.open.decide(action, on: .any, for: .open) == .allowed)
            #expect(AccessPolicy.open.reach(action, for: .open) == .all)
        }
        #expect(AccessPolicy.open.isOpen && !AccessPolicy().isOpen)
        #expect(Caller.open.isAnonymous && Caller.open.source == .open)
        #expect(Caller.anonymous == Caller(user: nil, roles: [], source: .anonymous))
    }

    @Test("the first matching rule decides, even when a later one would grant")
    func firstMatchWins() throws {
        let policy = AccessPolicy(rules: try readmeRules())
        let release = AccessTarget(builder: "release-2", owner: "dave")
        #expect(policy.decide(.force, on: release, for: bob) == .allowed)
        #expect(policy.decide(.force, on: release, for: dave) == .forbidden, "the release rule matched first")
        #expect(policy.decide(.force, on: release, for: alice) == .forbidden, "admins too: the first match decides")
        #expect(policy.decide(.force, on: AccessTarget(builder: "linux"), for: dave) == .allowed)
        #expect(policy.decide(.force, on: AccessTarget(builder: "linux"), for: bob) == .forbidden)
        #expect(policy.decide(.force, on: AccessTarget(builder: "linux"), for: alice) == .forbidden)
        #expect(policy.decide(.rebuild, on: AccessTarget(builder: "linux"), for: dave) == .allowed)
        #expect(policy.decide(.stop, on: release, for: dave) == .allowed, "dave owns it")
        #expect(policy.decide(.stop, on: AccessTarget(builder: "linux", owner: "bob"), for: dave) == .forbidden)
        #expect(policy.decide(.stop, on: AccessTarget(builder: "linux", owner: "bob"), for: alice) == .allowed)
        #expect(policy.decide(.killWorker, on: AccessTarget(worker: "w1"), for: alice) == .allowed)
        #expect(policy.decide(.reconfig, on: .any, for: dave) == .forbidden)
    }

    @Test("what no rule grants: anonymous callers must log in, known ones are forbidden")
    func refusals() {
        let policy = AccessPolicy(rules: [AccessRule(actions: [.force], roles: ["developer"])])
        #expect(policy.decide(.force, on: .any, for: .anonymous) == .unauthenticated)
        #expect(policy.decide(.force, on: .any, for: erin) == .forbidden)
        #expect(policy.decide(.stop, on: .any, for: .anonymous) == .unauthenticated, "no rule for stop")
        #expect(policy.decide(.stop, on: .any, for: dave) == .forbidden)
        #expect(policy.decide(.force, on: .any, for: dave) == .allowed)
    }

    @Test("the default rules give every control action to admin; reading stays open")
    func defaults() {
        let policy = AccessPolicy()
        #expect(policy.rules == AccessPolicy.defaultRules && policy.anonymous == .read)
        #expect(AccessPolicy.defaultRules == [AccessRule(actions: AccessAction.control, roles: ["admin"])])
        #expect(!AccessAction.control.contains(.view) && AccessAction.control.count == AccessAction.allCases.count - 1)
        for action in AccessAction.control {
            #expect(policy.decide(action, on: .any, for: alice) == .allowed)
            #expect(policy.decide(action, on: .any, for: dave) == .forbidden)
            #expect(policy.decide(action, on: .any, for: .anonymous) == .unauthenticated)
        }
        for caller in [alice, dave, .anonymous] {
            #expect(policy.decide(.view, on: AccessTarget(builder: "linux"), for: caller) == .allowed)
        }
    }

    @Test("change and audit are control actions: \"*\" covers them, and by default only admins have them")
    func changeAndAudit() {
        #expect(AccessAction.control.isSuperset(of: [.change, .audit]))
        #expect(AccessAction(rawValue: "change") == .change && AccessAction(rawValue: "audit") == .audit)
        let policy = AccessPolicy()
        for action in [AccessAction.change, .audit] {
            #expect(policy.decide(action, on: .any, for: alice) == .allowed)
            #expect(policy.decide(action, on: .any, for: dave) == .forbidden)
            #expect(policy.decide(action, on: .any, for: .anonymous) == .unauthenticated, "reading is not auditing")
            #expect(policy.reach(action, for: alice) == .all && policy.reach(action, for: dave) == .none)
        }
        let developers = AccessPolicy(rules: [AccessRule(actions: [.change], roles: ["developer"])])
        #expect(developers.decide(.change, on: .any, for: dave) == .allowed)
        #expect(developers.decide(.audit, on: .any, for: dave) == .forbidden)
    }

    @Test("each action can match only the glob lists naming what its targets carry")
    func matchableGlobs() throws {
        let expected: [AccessAction: Set<AccessRule.Globs>] = [
            .view: [], .force: [.builders, .schedulers], .stop: [.builders], .rebuild: [.builders],
            .cancel: [.builders], .enableScheduler: [.schedulers], .pauseWorker: [.workers],
            .gracefulWorker: [.workers], .killWorker: [.workers], .pools: [], .reconfig: [], .change: [], .audit: [],
        ]
        #expect(Set(expected.keys) == Set(AccessAction.allCases), "every action is listed")
        for action in AccessAction.allCases {
            #expect(action.matchableGlobs == expected[action], "\(action)")
        }
        let rule = AccessRule(
            actions: [.force], builders: [try Pattern(glob: "a*")], schedulers: [try Pattern(glob: "s")],
            roles: ["x"])
        #expect(rule.patterns(.builders) == rule.builders && rule.patterns(.schedulers) == rule.schedulers)
        #expect(rule.patterns(.workers).isEmpty)
        #expect(AccessRule.Globs.allCases.map(\.rawValue) == ["builders", "schedulers", "workers"])
    }

    @Test("view: anonymous read lets everyone see; with none, anonymous callers log in and view rules decide")
    func viewing() throws {
        let secret = AccessRule(actions: [.view], builders: [try Pattern(glob: "secret-*")], roles: ["staff"])
        let readable = AccessPolicy(rules: [secret], anonymous: .read)
        #expect(readable.decide(.view, on: AccessTarget(builder: "secret-1"), for: .anonymous) == .allowed)
        #expect(readable.decide(.view, on: AccessTarget(builder: "secret-1"), for: dave) == .allowed)

        let closed = AccessPolicy(rules: [secret], anonymous: .none)
        let staff = Caller(user: "sam", roles: ["staff"], source: .password)
        #expect(closed.decide(.view, on: .any, for: .anonymous) == .unauthenticated)
        #expect(closed.decide(.view, on: AccessTarget(builder: "secret-1"), for: dave) == .forbidden)
        #expect(closed.decide(.view, on: AccessTarget(builder: "secret-1"), for: staff) == .allowed)
        #expect(closed.decide(.view, on: AccessTarget(builder: "linux"), for: dave) == .allowed, "no rule: allowed")
        #expect(AccessPolicy(anonymous: .none).decide(.view, on: .any, for: dave) == .allowed)
    }

    @Test("reach: all, some through globs or ownership, none")
    func reach() throws {
        let policy = AccessPolicy(rules: try readmeRules())
        #expect(policy.reach(.force, for: dave) == .some, "the release builders are refused him")
        #expect(policy.reach(.force, for: bob) == .some, "only the release builders")
        #expect(policy.reach(.force, for: alice) == .none, "the developer rule matches admins before theirs")
        #expect(policy.reach(.rebuild, for: dave) == .all)
        #expect(policy.reach(.rebuild, for: bob) == .none)
        #expect(policy.reach(.stop, for: dave) == .some, "his own builds")
        #expect(policy.reach(.stop, for: .anonymous) == .none)
        #expect(policy.reach(.stop, for: alice) == .all)
        #expect(policy.reach(.killWorker, for: alice) == .all)
        #expect(policy.reach(.killWorker, for: dave) == .none)
        #expect(policy.reach(.view, for: .anonymous) == .all)
        #expect(policy.reach(.view, for: dave) == .all)

        let closed = AccessPolicy(
            rules: [AccessRule(actions: [.view], builders: [try Pattern(glob: "secret-*")], roles: ["staff"])],
            anonymous: .none)
        #expect(closed.reach(.view, for: .anonymous) == .none)
        #expect(closed.reach(.view, for: dave) == .some)
        #expect(closed.reach(.view, for: Caller(user: "sam", roles: ["staff"], source: .token)) == .all)
        #expect(closed.reach(.force, for: dave) == .none, "no rule for force")
    }

    @Test("a user's roles: its account's, and each grant naming it or one of its groups")
    func roles() {
        let settings = AuthSettings(
            users: [
                "alice": UserAccount(name: "alice", passwordHash: "h", roles: ["admin"], groups: ["ops"]),
                "bob": UserAccount(name: "bob", passwordHash: "h"),
            ],
            grants: [
                RoleGrant(role: "release", users: ["bob"], groups: ["releasers"]),
                RoleGrant(role: "operator", groups: ["ops"]),
                RoleGrant(role: "developer", groups: ["devs"]),
            ])
        #expect(settings.roles(of: "alice") == ["admin", "operator"])
        #expect(settings.roles(of: "bob") == ["release"])
        #expect(settings.roles(of: "bob", groups: ["devs"]) == ["release", "developer"])
        #expect(settings.roles(of: "frank", groups: ["releasers", "qa"]) == ["release"], "a proxy's user")
        #expect(settings.roles(of: "nobody").isEmpty)
        #expect(
            settings.caller("alice", source: .password)
                == Caller(
                    user: "alice", roles: ["admin", "operator"], source: .password))
        #expect(settings.sessionLifetime == .seconds(12 * 3600) && settings.policy == AccessPolicy())
    }

    @Test("a password hash never prints")
    func accountPrints() {
        let hash = "$2b$04$mJLLPOqpvjCV5iB//13tyumoD.Zp0bVyLwUqQmZPqUn3etqp.G8LG"
        let account = UserAccount(name: "alice", passwordHash: hash, roles: ["admin"])
        let settings = AuthSettings(users: ["alice": account])
        var dumped = ""
        dump(settings, to: &dumped)
        for text in ["\(account)", String(reflecting: account), "\(settings)", String(reflecting: settings), dumped] {
            #expect(!text.contains("mJLLPOqpvjCV5iB") && text.contains("****") && text.contains("alice"), "\(text)")
        }
    }

    @Test("bcrypt hashes: $2a$, $2b$ and $2y$ (as $2b$) with a usable cost; anything else is not one")
    func bcryptHashes() {
        let digest = "mJLLPOqpvjCV5iB//13tyumoD.Zp0bVyLwUqQmZPqUn3etqp.G8LG"
        let short = String(digest.dropLast())
        #expect(UserAccount.bcryptHash("$2b$04$" + digest) == "$2b$04$" + digest)
        #expect(UserAccount.bcryptHash("$2a$12$" + digest) == "$2a$12$" + digest)
        #expect(UserAccount.bcryptHash("$2y$10$" + digest) == "$2b$10$" + digest)
        for bad in [
            "secret", "$2x$04$" + digest, "$2b$03$" + digest, "$2b$32$" + digest, "$2b$4$" + digest,
            "$2b$04$" + short, "$2b$04$" + digest + "A", "$2b$04$" + short + "!",
            "$1$04$" + digest, "{SHA}" + digest,
        ] {
            #expect(UserAccount.bcryptHash(bad) == nil, "\(bad)")
        }
        for name in ["alice", "Ada Lovelace", "é", "a.b@example.com"] {
            #expect(UserAccount.isValidName(name))
        }
        #expect(!UserAccount.isValidName("") && !UserAccount.isValidName("a:b") && !UserAccount.isValidName("a\nb"))
    }
}
