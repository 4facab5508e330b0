import Foundation
import GantryConfig
import GantryModel
import Testing

/// `auth`: users, htpasswd, a proxy, role grants, rules; and `http.insecure`, without which a master without
/// `auth` listens only on this machine.
@Suite("ConfigLoader: auth")
struct AuthConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    /// `alice-pw`, from Python's bcrypt.
    static let alice = "$2b$04$mJLLPOqpvjCV5iB//13tyumoD.Zp0bVyLwUqQmZPqUn3etqp.G8LG"
    /// `bob-pw`, as `htpasswd -B` writes it: `$2y$`, which is `$2b$`.
    static let bob = "$2y$04$5NPMraWN6zuXl22ITucEkeC7JVkQOL9XqKo7N1X01QN7eSscofuUS"
    /// `carol-pw`, also `$2y$`.
    static let carol = "$2y$05$cNBNBvvrvKC584whrCavDum4c4NvJh.JTGHHOF5.B.ThbpDtrewX."

    private func makeBasedir(htpasswd: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gantry-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try htpasswd.write(to: directory.appendingPathComponent("users.htpasswd"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test("the README's example is valid, and its rules mean what the README says")
    func readmeExample() throws {
        let readme = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- auth-example -->\n```yaml\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let basedir = try makeBasedir(htpasswd: "carol:\(Self.carol)\n")
        defer { try? FileManager.default.removeItem(at: basedir) }
        let config = try ConfigLoader(basedir: basedir.path, hostname: "build1").parse(
            String(text[start.upperBound..<end.lowerBound]))
        let auth = try #require(config.auth)
        #expect(Set(auth.users.keys) == ["alice", "bob", "carol"])
        func caller(_ user: String, _ groups: Set<String> = []) -> Caller {
            Caller(user: user, roles: auth.roles(of: user, groups: groups), source: .session)
        }
        let bob = caller("bob", auth.users["bob"]?.groups ?? [])
        let release = AccessTarget(builder: "release-1", scheduler: "force")
        #expect(auth.policy.decide(.force, on: release, for: bob) == .allowed)
        #expect(
            auth.policy.decide(.force, on: AccessTarget(builder: "linux", scheduler: "force"), for: bob) == .forbidden)
        #expect(auth.policy.decide(.rebuild, on: AccessTarget(builder: "linux"), for: caller("carol")) == .allowed)
        #expect(
            auth.policy.decide(.stop, on: AccessTarget(builder: "linux", owner: "carol"), for: caller("carol"))
                == .allowed)
        #expect(auth.policy.decide(.killWorker, on: AccessTarget(worker: "w1"), for: caller("alice")) == .allowed)
        #expect(auth.policy.decide(.killWorker, on: AccessTarget(worker: "w1"), for: .anonymous) == .unauthenticated)
        #expect(auth.policy.decide(.view, on: .any, for: .anonymous) == .allowed)
        #expect(auth.proxy?.trustedProxies.count == 2 && auth.sessionLifetime == .seconds(12 * 3600))
    }

    @Test("the reference example: users from the file and the htpasswd, a proxy, grants, rules")
    func referenceExample() throws {
        let basedir = try makeBasedir(htpasswd: "# written by htpasswd -B\nbob:\(Self.bob)\n")
        defer { try? FileManager.default.removeItem(at: basedir) }
        let config = try ConfigLoader(basedir: basedir.path, hostname: "build1").parse(
            """
            auth:
              users:
                - name: alice
                  password: "\(Self.alice)"
                  roles: [admin]
                  groups: [ops]
              htpasswd: users.htpasswd
              proxy:
                userHeader: X-Remote-User
                groupsHeader: X-Remote-Groups
                trustedProxies: [127.0.0.1, "10.0.0.0/8"]
              roles:
                - {role: release, users: [bob], groups: [releasers]}
              rules:
                - {actions: [force], builders: ["release-*"], roles: [release]}
                - {actions: [force, rebuild], roles: [developer]}
                - {actions: [stop, cancel], roles: [owner, admin]}
                - {actions: "*", roles: [admin]}
              anonymous: read
              sessionLifetime: 12h
            http:
              address: 0.0.0.0:8010
              insecure: false
            """)
        let expected = AuthSettings(
            users: [
                "alice": UserAccount(name: "alice", passwordHash: Self.alice, roles: ["admin"], groups: ["ops"]),
                "bob": UserAccount(name: "bob", passwordHash: "$2b$" + String(Self.bob.dropFirst(4))),
            ],
            proxy: ProxyAuthSettings(
                userHeader: "X-Remote-User", groupsHeader: "X-Remote-Groups",
                trustedProxies: [
                    try #require(AddressRange(parsing: "127.0.0.1")), try #require(AddressRange(parsing: "10.0.0.0/8")),
                ]),
            grants: [RoleGrant(role: "release", users: ["bob"], groups: ["releasers"])],
            policy: AccessPolicy(
                rules: [
                    AccessRule(actions: [.force], builders: [try Pattern(glob: "release-*")], roles: ["release"]),
                    AccessRule(actions: [.force, .rebuild], roles: ["developer"]),
                    AccessRule(actions: [.stop, .cancel], roles: ["owner", "admin"]),
                    AccessRule(actions: AccessAction.control, roles: ["admin"]),
                ],
                anonymous: .read),
            sessionLifetime: .seconds(12 * 3600))
        #expect(config.auth == expected)
        #expect(config.http == ListenAddress(host: "0.0.0.0", port: 8010) && !config.httpInsecure)
        #expect(config.auth?.users["bob"]?.passwordHash.hasPrefix("$2b$04$") == true)
        #expect(config.auth?.roles(of: "bob") == ["release"])
        #expect(config.auth?.roles(of: "frank", groups: ["ops"]) == [], "ops gives no role by itself")
    }

    @Test("an empty auth: nobody logs in, everyone reads, admins (none yet) do the rest")
    func emptyAuth() throws {
        let config = try loader.parse("auth: {}")
        #expect(config.auth == AuthSettings())
        #expect(config.auth?.policy == AccessPolicy(rules: AccessPolicy.defaultRules, anonymous: .read))
        #expect(config.auth?.sessionLifetime == .seconds(43_200))
        #expect(try loader.parse("{}").auth == nil)
        let closed = try loader.parse("auth: {anonymous: none, sessionLifetime: 30m, rules: []}")
        #expect(closed.auth?.policy == AccessPolicy(rules: [], anonymous: .none))
        #expect(closed.auth?.sessionLifetime == .seconds(1800))
    }

    @Test("every kind of mistake is located and explained")
    func mistakes() {
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                auth:
                  users:
                    - {name: "a:b", password: "\(Self.alice)"}
                    - {name: carol, password: hunter2, roles: [owner, "bad role"], groups: ["a,b"], email: c@x}
                    - {name: dan}
                    - {name: carol, password: "\(Self.alice)"}
                  proxy: {userHeader: "X Remote", trustedProxies: [10.0.0.0/33]}
                  roles:
                    - {role: release}
                    - {users: [bob]}
                  rules:
                    - {actions: [force, fly], builders: "release-*", roles: [release]}
                    - {actions: "everything", roles: []}
                    - {actions: [stop], workers: ["re:("]}
                  anonymous: maybe
                  sessionLifetime: 0s
                  extra: 1
                """)
        }
        let actions = AccessAction.allCases.map(\.rawValue).joined(separator: ", ")
        #expect(
            error?.problems.map(\.description) == [
                "auth.extra: unknown key (expected one of: anonymous, htpasswd, proxy, roles, rules, sessionLifetime, "
                    + "users)",
                "auth.users[0].name: must not hold ':' or control characters",
                "auth.users[1].email: unknown key (expected one of: groups, name, password, roles)",
                "auth.users[1].password: must be a bcrypt hash ($2b$...), never the password itself; "
                    + "gantry hash-password makes one",
                "auth.users[1].roles: 'owner' is not a role to give: rules use it for the owner of a build",
                "auth.users[1].roles: 'bad role' is not a valid role name (\(Identifier.rule))",
                "auth.users[1].groups: group names must be non-empty, without ',' or control characters",
                "auth.users[2].password: is required",
                "auth.users[3].name: 'carol' is used twice",
                "auth.proxy.userHeader: 'X Remote' is not a header name",
                "auth.proxy.trustedProxies[0]: must be an address or a range, like 127.0.0.1 or 10.0.0.0/8",
                "auth.roles[0]: must name users or groups to give the role to",
                "auth.roles[1].role: is required",
                "auth.rules[0].actions[1]: unknown action; must be \"*\" or a list of actions (\(actions))",
                "auth.rules[0].builders: must be a list of globs (or regular expressions after 're:')",
                "auth.rules[1].actions: must be \"*\" or a list of actions (\(actions))",
                "auth.rules[1].roles: must name at least one role",
                "auth.rules[2].workers[0]: '(' after 're:' is not a valid regular expression",
                "auth.rules[2].roles: is required",
                "auth.anonymous: must be read or none",
                "auth.sessionLifetime: must be positive",
            ])
        let notMapping = #expect(throws: ConfigError.self) { try loader.parse("auth: [alice]") }
        #expect(
            notMapping?.problems.map(\.description) == [
                "auth: must be a mapping of users, htpasswd, proxy, roles, rules, anonymous and sessionLifetime"
            ])
        let noProxies = #expect(throws: ConfigError.self) { try loader.parse("auth: {proxy: {groupsHeader: X-G}}") }
        #expect(
            noProxies?.problems.map(\.description) == [
                "auth.proxy.userHeader: is required",
                "auth.proxy.trustedProxies: must list the proxy's addresses (like [127.0.0.1]): anyone else could "
                    + "send the same headers",
            ])
    }

    @Test("a glob list some of a rule's actions can never match is refused, and so is one with actions \"*\"")
    func deadGlobs() throws {
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                auth:
                  rules:
                    - {actions: [view], builders: ["secret-*"], roles: [staff]}
                    - {actions: [force, stop], schedulers: [nightly], roles: [release]}
                    - {actions: [pauseWorker, enableScheduler, reconfig], workers: ["ci-*"], roles: [ops]}
                    - {actions: "*", builders: ["release-*"], workers: [w1], roles: [admin]}
                    - {actions: [audit, change, pools], schedulers: [s], roles: [admin]}
                    - {actions: [force], builders: [a], schedulers: [b], roles: [release]}
                """)
        }
        let builders = "only force, stop, rebuild and cancel name a builder"
        let schedulers = "only force and enableScheduler name a scheduler"
        let workers = "only pauseWorker, gracefulWorker and killWorker name a worker"
        let one = "so a later rule would decide it; give it a rule of its own"
        let several = "so a later rule would decide them; give them a rule of their own"
        let everything =
            "so the other actions would never match this rule and a later one would decide them; list the "
            + "actions these globs are for"
        #expect(
            error?.problems.map(\.description) == [
                "auth.rules[0].builders: never match view: \(builders), \(one)",
                "auth.rules[1].schedulers: never match stop: \(schedulers), \(one)",
                "auth.rules[2].workers: never match enableScheduler and reconfig: \(workers), \(several)",
                "auth.rules[3].builders: cannot go with actions \"*\": \(builders), \(everything)",
                "auth.rules[3].workers: cannot go with actions \"*\": \(workers), \(everything)",
                "auth.rules[4].schedulers: never match pools, change and audit: \(schedulers), \(several)",
            ])

        // Every action with the globs its targets carry, and globs left empty (which restrict nothing).
        let config = try loader.parse(
            """
            auth:
              rules:
                - {actions: [force, stop, rebuild, cancel], builders: ["release-*"], roles: [release]}
                - {actions: [force, enableScheduler], schedulers: [nightly], roles: [release]}
                - {actions: [force], builders: [a], schedulers: [b], roles: [release]}
                - {actions: [pauseWorker, gracefulWorker, killWorker], workers: ["ci-*"], roles: [ops]}
                - {actions: [view, change, audit, pools, reconfig], builders: [], roles: [staff]}
                - {actions: "*", schedulers: [], roles: [admin]}
            """)
        let rules = try #require(config.auth?.policy.rules)
        #expect(rules.count == 6)
        #expect(rules.last == AccessRule(actions: AccessAction.control, roles: ["admin"]))
        #expect(rules[4] == AccessRule(actions: [.view, .change, .audit, .pools, .reconfig], roles: ["staff"]))
    }

    @Test("\"*\" covers change and audit: by default only admins send changes through base or read the audit log")
    func changeAndAudit() throws {
        let config = try loader.parse(
            """
            auth:
              rules:
                - {actions: [change], roles: [developer]}
                - {actions: "*", roles: [admin]}
            """)
        let policy = try #require(config.auth?.policy)
        #expect(policy.rules.last?.actions.isSuperset(of: [.change, .audit]) == true)
        let developer = Caller(user: "dan", roles: ["developer"], source: .token)
        let admin = Caller(user: "alice", roles: ["admin"], source: .token)
        #expect(policy.decide(.change, on: .any, for: developer) == .allowed)
        #expect(policy.decide(.audit, on: .any, for: developer) == .forbidden)
        #expect(policy.decide(.audit, on: .any, for: admin) == .allowed)
        #expect(policy.decide(.change, on: .any, for: .anonymous) == .unauthenticated)
    }

    @Test("with auth, the github and gitlab hooks must have secrets; base has none and is guarded by 'change'")
    func hookSecretsWithAuth() throws {
        let unsigned = #expect(throws: ConfigError.self) {
            try loader.parse("auth: {}\nchangeHooks: {base: {}, github: {}, gitlab: ~}")
        }
        #expect(unsigned?.problems.map(\.path) == ["changeHooks.github", "changeHooks.gitlab"])
        for problem in unsigned?.problems ?? [] {
            #expect(
                problem.message
                    == "needs a secret: with 'auth' every hook must be signed, or anyone who can reach the master "
                    + "could inject changes (and start the builds they trigger); add {secret: ...}")
        }

        // What the hooks' own reading already refused is not refused again.
        let malformed = #expect(throws: ConfigError.self) {
            try loader.parse("auth: {}\nchangeHooks: {github: {secret: \"\"}, gitlab: yes}")
        }
        #expect(
            malformed?.problems.map(\.description) == [
                "changeHooks.github.secret: must be a non-empty string",
                "changeHooks.gitlab: must be a mapping (use {} for the defaults)",
            ])

        let signed = try loader.parse(
            "auth: {}\nchangeHooks: {base: {}, github: {secret: s3cret}, gitlab: {secret: t0ken}}")
        #expect(signed.changeHooks.base && signed.changeHooks.github?.secret == "s3cret")
        #expect(signed.changeHooks.gitlab?.secret == "t0ken")
        #expect(try loader.parse("auth: {}\nchangeHooks: {base: {}}").changeHooks.base)
        let unguarded = try loader.parse("changeHooks: {github: {}, gitlab: {}}")
        #expect(unguarded.auth == nil && unguarded.changeHooks.github == HookSecret())
        #expect(unguarded.changeHooks.gitlab == HookSecret(), "without auth a hook may go unsigned, as before")
    }

    @Test("htpasswd: bcrypt lines ($2y$ read as $2b$), comments and blank lines; other lines named by number only")
    func htpasswd() throws {
        let file = """
            # users for gantry
            bob:\(Self.bob)

            mallory:plaintext-secret
            eve:$apr1$Qx1r2kd0$GXAr0OWdbVRmTGzj3ZAvC0
            bob:\(Self.alice)
            no colon here
            :\(Self.alice)
              # an indented comment
            carol:\(Self.carol)\r
            """
        let basedir = try makeBasedir(htpasswd: file)
        defer { try? FileManager.default.removeItem(at: basedir) }
        let loader = ConfigLoader(basedir: basedir.path, hostname: "build1")
        let error = #expect(throws: ConfigError.self) { try loader.parse("auth: {htpasswd: users.htpasswd}") }
        #expect(
            error?.problems.map(\.description) == [
                "auth.htpasswd: line 4 of 'users.htpasswd' is not a bcrypt hash; only bcrypt is accepted (htpasswd -B)",
                "auth.htpasswd: line 5 of 'users.htpasswd' is not a bcrypt hash; only bcrypt is accepted (htpasswd -B)",
                "auth.htpasswd: line 6 of 'users.htpasswd' repeats the user of line 2",
                "auth.htpasswd: line 7 of 'users.htpasswd' is not name:hash",
                "auth.htpasswd: line 8 of 'users.htpasswd' has no valid user name",
            ])
        for secret in ["plaintext-secret", "mallory", "apr1", "GXAr0OWdbVRmTGzj3ZAvC0"] {
            #expect(error?.description.contains(secret) == false, "\(secret)")
        }

        let good = "bob:\(Self.bob)\r\ncarol:\(Self.carol)\n"
        try good.write(to: basedir.appendingPathComponent("users.htpasswd"), atomically: true, encoding: .utf8)
        let config = try loader.parse("auth: {htpasswd: users.htpasswd}")
        #expect(config.auth?.users.keys.sorted() == ["bob", "carol"])
        #expect(config.auth?.users["carol"]?.passwordHash == "$2b$" + String(Self.carol.dropFirst(4)))
        #expect(config.auth?.users["carol"]?.roles == [])

        let twice = #expect(throws: ConfigError.self) {
            try loader.parse("auth: {htpasswd: users.htpasswd, users: [{name: bob, password: \"\(Self.alice)\"}]}")
        }
        #expect(
            twice?.problems.map(\.description) == ["auth.htpasswd: 'bob' is also in auth.users; keep one of them"])
        let missing = #expect(throws: ConfigError.self) { try loader.parse("auth: {htpasswd: nowhere.htpasswd}") }
        #expect(missing?.problems.map(\.description) == ["auth.htpasswd: cannot read 'nowhere.htpasswd'"])
    }

    @Test("without auth, an HTTP address beyond this machine is refused unless insecure: true")
    func nonLoopbackWithoutAuth() throws {
        for address in ["\":8010\"", "0.0.0.0:8010", "\"[::]:8010\"", "10.0.0.1:9000", "build.example:80"] {
            let error = #expect(throws: ConfigError.self, "\(address)") { try loader.parse("http: \(address)") }
            #expect(error?.problems.map(\.path) == ["http"], "\(address)")
            let message = error?.problems.first?.message ?? ""
            #expect(message.contains("control actions") && message.contains("to anyone"), "\(message)")
            #expect(message.contains("add an 'auth' section") && message.contains("insecure: true"), "\(message)")
        }
        let mapping = #expect(throws: ConfigError.self) { try loader.parse("http: {address: \"0.0.0.0:8010\"}") }
        #expect(mapping?.problems.map(\.path) == ["http"])
        let notFlag = #expect(throws: ConfigError.self) { try loader.parse("http: {insecure: maybe}") }
        #expect(notFlag?.problems.map(\.description) == ["http.insecure: must be true or false"])

        for address in ["127.0.0.1:8010", "127.0.0.2:0", "localhost:8010", "\"[::1]:8010\""] {
            let config = try loader.parse("http: \(address)")
            #expect(config.auth == nil && !config.httpInsecure, "\(address)")
        }
        #expect(try loader.parse("{}").http == ListenAddress(host: "127.0.0.1", port: 8010))
    }

    @Test("insecure: true, or auth, lets the master listen beyond this machine")
    func nonLoopbackAccepted() throws {
        let insecure = try loader.parse("http: {address: \"0.0.0.0:8010\", insecure: true}")
        #expect(insecure.http == ListenAddress(host: "0.0.0.0", port: 8010))
        #expect(insecure.httpInsecure && insecure.auth == nil)

        let withAuth = try loader.parse("http: \":8010\"\nauth: {}")
        #expect(withAuth.http == ListenAddress(host: "0.0.0.0", port: 8010))
        #expect(withAuth.auth == AuthSettings() && !withAuth.httpInsecure)
    }

    @Test("password hashes never print: the configuration and the accounts show ****")
    func hashesNeverPrint() throws {
        let config = try loader.parse("auth: {users: [{name: alice, password: \"\(Self.alice)\", roles: [admin]}]}")
        let account = try #require(config.auth?.users["alice"])
        #expect(account.passwordHash == Self.alice)
        let digest = String(Self.alice.dropFirst(7))
        for value in [config as Any, account as Any, config.auth as Any] {
            var dumped = ""
            dump(value, to: &dumped)
            for text in ["\(value)", String(describing: value), String(reflecting: value), dumped] {
                #expect(!text.contains(digest), "\(text)")
                #expect(text.contains("****") && text.contains("alice"), "\(text)")
            }
        }
    }
}
