import Foundation
import GantryAPI
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: authentication, authorization and the audit log", .paced, .timeLimit(.minutes(3)))
struct AuthAPITests {
    /// alice (admin) and dave (developer: may rebuild and force, nothing else); passwords `alice-pw`, `dave-pw`.
    static let settings = AuthSettings(
        users: [
            "alice": UserAccount(
                name: "alice", passwordHash: "$2b$04$AckEFXMGWIrqS/UWcSMKPekc4oZBWXjXmfmC5HsZXjNNNTHb2xcK6",
                roles: ["admin"], groups: []),
            "dave": UserAccount(
                name: "dave", passwordHash: "$2b$04$qTi6E2PdBuwyguu.Dsp5POOAEsevCfXJf6I174raF.0a/zz5fgWYW",
                roles: [], groups: ["devs"]),
        ],
        grants: [RoleGrant(role: "developer", users: [], groups: ["devs"])],
        policy: AccessPolicy(
            rules: [
                AccessRule(actions: [.force, .rebuild], roles: ["developer"]),
                AccessRule(actions: [.stop, .cancel], roles: ["owner", "admin"]),
                AccessRule(actions: Set(AccessAction.allCases), roles: ["admin"]),
            ],
            anonymous: .read))

    /// One exchange with the server, as sent: no redirect followed, no cookie kept.
    private func send(
        _ base: URL, _ method: String, _ path: String, headers: [String: String] = [:], body: String = "",
        host: String = "localhost"
    ) async throws -> RawAnswer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        return try await rawExchange(base, head: head, parts: body.isEmpty ? [] : [Array(body.utf8)])
    }

    private func rpc(_ method: String, _ params: String = "{}") -> String {
        #"{"jsonrpc": "2.0", "method": "\#(method)", "params": \#(params), "id": 1}"#
    }

    private func bearer(_ secret: String) -> [String: String] {
        ["Authorization": "Bearer \(secret)", "Content-Type": "application/json"]
    }

    @Test(
        "each control call: anonymous 401, a role without the right 403, the right role 200",
        arguments: TestBackend.enabled)
    func controlCalls(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("linux")
            let worker = try await db.workers.findWorkerId("w1")
            try await db.workers.workerConnected(worker, masterid: master, workerInfo: [:])
            let scheduler = try await db.schedulers.findSchedulerId("nightly")
            let (_, requests) = try await db.buildsets.addBuildset(
                reason: "r", builderids: [builder], properties: ["owner": ["dave", "Force Build Form"]])
            let brid = try #require(requests[builder])
            try await db.buildRequests.claimBuildRequests([brid], masterid: master)
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: brid, workerid: nil, masterid: master)
            let (_, waiting) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            let waitingID = try #require(waiting[builder])
            // An owner a change's properties claim is not believed: only a force sets one.
            let (_, claimed) = try await db.buildsets.addBuildset(
                reason: "r", builderids: [builder], properties: ["owner": ["dave", "Change"]])
            let claimedID = try #require(claimed[builder])
            let now = Date()
            let admin = try await db.tokens.create(
                user: "alice", roles: ["admin"], description: "", expiresAt: nil, now: now
            ).secret
            let developer = try await db.tokens.create(
                user: "erin", roles: ["developer"], description: "", expiresAt: nil, now: now
            ).secret
            let owner = try await db.tokens.create(
                user: "dave", roles: ["developer"], description: "", expiresAt: nil, now: now
            ).secret

            try await withAPIServer(db, masterID: master, access: AccessControl(Self.settings)) { base in
                // (path, call, the token of a caller without the right, one with it)
                let calls: [(String, String, String, String)] = [
                    ("/api/v2/workers/w1", rpc("pause"), developer, admin),
                    ("/api/v2/workers/w1", rpc("unpause"), developer, admin),
                    ("/api/v2/workers/w1", rpc("stop"), developer, admin),
                    ("/api/v2/workers/w1", rpc("kill"), developer, admin),
                    ("/api/v2/schedulers/\(scheduler)", rpc("enable", #"{"enabled": false}"#), developer, admin),
                    ("/api/v2/buildrequests/\(waitingID)", rpc("cancel"), developer, admin),
                    ("/api/v2/builds/\(build.id)", rpc("rebuild"), "nobody", developer),
                    // The build's owner may stop it without being an admin.
                    ("/api/v2/builds/\(build.id)", rpc("stop"), developer, owner),
                ]
                for (path, call, weak, strong) in calls {
                    let anonymous = try await send(
                        base, "POST", path, headers: ["Content-Type": "application/json"], body: call)
                    #expect(anonymous.status == 401, "\(path) \(call)")
                    if weak != "nobody" {
                        let refused = try await send(base, "POST", path, headers: bearer(weak), body: call)
                        #expect(refused.status == 403, "\(path) \(call)")
                    }
                    let accepted = try await send(base, "POST", path, headers: bearer(strong), body: call)
                    #expect(
                        accepted.status == 200, "\(path) \(call): \(String(decoding: accepted.body, as: UTF8.self))")
                }
                let notTheirs = try await send(
                    base, "POST", "/api/v2/buildrequests/\(claimedID)", headers: bearer(owner), body: rpc("cancel"))
                #expect(notTheirs.status == 403)
                // Refused calls changed nothing before the accepted ones: the audit log has them in order.
                let log = try await db.audit.entries(limit: 100)
                #expect(log.filter { $0.outcome == "refused" }.count == 8)
                #expect(log.first { $0.outcome == "done" && $0.action == "stop" }?.user == "dave")
                #expect(log.allSatisfy { $0.address == "127.0.0.1" })

                // Reading stays open to anonymous callers; whoami says who is asking and what they may do.
                #expect(try await send(base, "GET", "/api/v2/builds").status == 200)
                let whoami = try await send(base, "GET", "/api/v2/whoami", headers: bearer(developer))
                #expect(whoami["user"] == "erin")
                #expect(whoami["permissions"]?["force"] == "all" && whoami["permissions"]?["killWorker"] == "none")
                #expect(whoami["permissions"]?["stop"] == "some")
            }
        }
    }

    @Test(
        "forcing: anonymous 401, a role without the right 403; a developer forces, as the build's owner",
        arguments: TestBackend.enabled)
    func force(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            _ = try await db.builders.findBuilderId("linux")
            let master = try await db.masters.findMasterId("m1")
            let scheduler = try await db.schedulers.findSchedulerId("force")
            try await db.schedulers.setSchedulerMaster(scheduler, masterid: master)
            let force = ForceScheduler(
                options: SchedulerOptions(name: "force", builderNames: ["linux"]), parameters: [],
                context: SchedulerContext(database: db, clock: ContinuousClock(), logger: silentLogger))
            let viewer = try await db.tokens.create(
                user: "vic", roles: [], description: "", expiresAt: nil, now: Date()
            ).secret
            let developer = try await db.tokens.create(
                user: "erin", roles: ["developer"], description: "", expiresAt: nil, now: Date()
            ).secret
            let call = rpc("force", #"{"owner": "someone else"}"#)
            try await withAPIServer(
                db, forceSchedulers: [force], masterID: master, access: AccessControl(Self.settings)
            ) { base in
                let path = "/api/v2/forceschedulers/force"
                #expect(
                    try await send(base, "POST", path, headers: ["Content-Type": "application/json"], body: call)
                        .status == 401)
                #expect(try await send(base, "POST", path, headers: bearer(viewer), body: call).status == 403)
                #expect(try await db.buildsets.getBuildsets().isEmpty)
                let forced = try await send(base, "POST", path, headers: bearer(developer), body: call)
                #expect(forced.status == 200)
                let buildset = try #require(try await db.buildsets.getBuildsets().first)
                #expect(buildset.properties["owner"] == ["erin", "Force Build Form"])
            }
        }
    }

    @Test("without auth: a request for another name is refused (421), and another site's page cannot act")
    func openMaster() async throws {
        try await withTestDatabase(.sqlite) { db in
            _ = try await db.workers.findWorkerId("w1")
            try await withAPIServer(db) { base in
                #expect(try await send(base, "GET", "/api/v2/workers", host: "rebound.example:8010").status == 421)
                #expect(try await send(base, "GET", "/api/v2/workers", host: "127.0.0.1:8010").status == 200)
                let json = ["Content-Type": "application/json"]
                for crossSite in [["Origin": "http://evil.example"], ["Sec-Fetch-Site": "cross-site"]] {
                    let answer = try await send(
                        base, "POST", "/api/v2/workers/w1", headers: json.merging(crossSite) { $1 }, body: rpc("pause"))
                    #expect(answer.status == 403)
                }
                #expect(try await db.workers.getWorkers().first?.paused == false)
                let sameSite = try await send(
                    base, "POST", "/api/v2/workers/w1", headers: json.merging(["Origin": "http://localhost"]) { $1 },
                    body: rpc("pause"))
                #expect(sameSite.status == 200)
                #expect(try await db.workers.getWorkers().first?.paused == true)
            }
        }
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, access: AccessControl(nil, insecure: true)) { base in
                let answer = try await send(base, "GET", "/api/v2/workers", host: "ci.example:8010")
                #expect(answer.status == 200)
            }
        }
    }

    @Test("with auth, the unsigned base change hook takes changes only from a caller allowed to send them")
    func baseHook() async throws {
        try await withTestDatabase(.sqlite) { db in
            let admin = try await db.tokens.create(
                user: "alice", roles: ["admin"], description: "", expiresAt: nil, now: Date()
            ).secret
            let developer = try await db.tokens.create(
                user: "erin", roles: ["developer"], description: "", expiresAt: nil, now: Date()
            ).secret
            try await withAPIServer(
                db, changeHooks: ChangeHookSettings(base: true), access: AccessControl(Self.settings)
            ) { base in
                let change = #"{"author": "ada", "comments": "fix", "branch": "main"}"#
                let json = ["Content-Type": "application/json"]
                #expect(try await send(base, "POST", "/change_hook/base", headers: json, body: change).status == 401)
                let refused = try await send(
                    base, "POST", "/change_hook/base", headers: bearer(developer), body: change)
                #expect(refused.status == 403)
                #expect(try await db.changes.getChanges().isEmpty)
                let sent = try await send(base, "POST", "/change_hook/base", headers: bearer(admin), body: change)
                #expect(sent.status == 200)
                #expect(try await db.changes.getChanges().count == 1)
            }
        }
    }

    @Test("a revoked, expired or unknown token is refused (401), and failures are rate limited")
    func badTokens() async throws {
        try await withTestDatabase(.sqlite) { db in
            let now = Date()
            let revoked = try await db.tokens.create(
                user: "alice", roles: ["admin"], description: "", expiresAt: nil, now: now)
            _ = try await db.tokens.revoke(revoked.token.id, now: now)
            let expired = try await db.tokens.create(
                user: "alice", roles: ["admin"], description: "", expiresAt: now.addingTimeInterval(-1), now: now)
            try await withAPIServer(db, access: AccessControl(Self.settings)) { base in
                for secret in [revoked.secret, expired.secret, "gtk_unknown"] {
                    let answer = try await send(base, "GET", "/api/v2/builds", headers: bearer(secret))
                    #expect(answer.status == 401)
                    #expect(answer.headers["www-authenticate"] == "Bearer")
                }
                var statuses: [Int] = []
                for _ in 0..<AccessControl.failuresPerAddress {
                    statuses.append(try await send(base, "GET", "/api/v2/builds", headers: bearer("gtk_x")).status)
                }
                #expect(statuses.last == 429)
            }
        }
    }

    @Test(
        "a web session made on one master is accepted by another and dies with logout", arguments: TestBackend.enabled)
    func sessionsAcrossMasters(_ backend: TestBackend) async throws {
        try await withSharedTestDatabase(backend) { first, second in
            let otherAccess = AccessControl(Self.settings)
            try await withAPIServer(first, access: AccessControl(Self.settings)) { one in
                try await withAPIServer(second, access: otherAccess) { other in
                    let wrong = try await send(
                        one, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                        body: "user=alice&password=nope")
                    #expect(wrong.status == 401)
                    #expect(wrong.headers["set-cookie"] == nil)

                    let login = try await send(
                        one, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                        body: "user=alice&password=alice-pw&next=%2Fworkers")
                    #expect(login.status == 303 && login.headers["location"] == "/workers")
                    let cookie = try #require(login.headers["set-cookie"])
                    #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
                    let pair = String(cookie.prefix { $0 != ";" })

                    let whoami = try await send(other, "GET", "/api/v2/whoami", headers: ["Cookie": pair])
                    #expect(whoami["user"] == "alice" && whoami["source"] == "session")

                    // A new password for alice on that master ends her session there, until it is set back.
                    var changed = Self.settings
                    changed.users["alice"]?.passwordHash = try #require(Self.settings.users["dave"]?.passwordHash)
                    otherAccess.update(changed)
                    let afterChange = try await send(other, "GET", "/api/v2/whoami", headers: ["Cookie": pair])
                    #expect(afterChange["user"] == .null)
                    otherAccess.update(Self.settings)

                    // A state-changing request made with the cookie needs this master's Origin.
                    let form = ["Cookie": pair, "Content-Type": "application/x-www-form-urlencoded"]
                    let noOrigin = try await send(other, "POST", "/ui/workers/w1/pause", headers: form)
                    #expect(noOrigin.status == 403)
                    var sameSite = form
                    sameSite["Origin"] = "http://localhost"
                    let paused = try await send(other, "POST", "/ui/workers/w1/pause", headers: sameSite)
                    #expect(paused.status == 404)  // allowed through: there is no worker w1 here

                    let logout = try await send(other, "POST", "/logout", headers: sameSite)
                    #expect(logout.status == 303)
                    let after = try await send(one, "GET", "/api/v2/whoami", headers: ["Cookie": pair])
                    #expect(after["user"] == .null)
                }
            }
        }
    }

    @Test("with anonymous: none, pages send anonymous callers to the login page and the API answers 401")
    func anonymousNone() async throws {
        var settings = Self.settings
        settings.policy.anonymous = .none
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, access: AccessControl(settings)) { base in
                let page = try await send(base, "GET", "/workers")
                #expect(page.status == 303 && page.headers["location"] == "/login?next=%2Fworkers")
                #expect(try await send(base, "GET", "/api/v2/builds").status == 401)
                #expect(try await send(base, "GET", "/healthz").status == 200)
                #expect(try await send(base, "GET", "/login").status == 200)
                let basic = Data("alice:alice-pw".utf8).base64EncodedString()
                #expect(
                    try await send(base, "GET", "/api/v2/builds", headers: ["Authorization": "Basic \(basic)"]).status
                        == 200)
            }
        }
    }

    @Test("a trusted proxy's user header is believed; anyone else's is ignored")
    func proxyHeader() async throws {
        var settings = Self.settings
        settings.proxy = ProxyAuthSettings(
            userHeader: "X-Remote-User", groupsHeader: "X-Remote-Groups",
            trustedProxies: [try #require(AddressRange(parsing: "127.0.0.1"))])
        var untrusted = settings
        untrusted.proxy?.trustedProxies = [try #require(AddressRange(parsing: "10.0.0.0/8"))]
        try await withTestDatabase(.sqlite) { db in
            let headers = ["X-Remote-User": "frank", "X-Remote-Groups": "devs, qa"]
            try await withAPIServer(db, access: AccessControl(settings)) { base in
                let whoami = try await send(base, "GET", "/api/v2/whoami", headers: headers)
                #expect(whoami["user"] == "frank" && whoami["roles"] == ["developer"])
            }
            try await withAPIServer(db, access: AccessControl(untrusted)) { base in
                let whoami = try await send(base, "GET", "/api/v2/whoami", headers: headers)
                #expect(whoami["user"] == .null)
            }
        }
    }

    @Test("the pages show only the buttons the caller may press")
    func hiddenButtons() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = try await db.masters.findMasterId("m1")
            let worker = try await db.workers.findWorkerId("w1")
            try await db.workers.workerConnected(worker, masterid: master, workerInfo: [:])
            let developer = try await db.tokens.create(
                user: "erin", roles: ["developer"], description: "", expiresAt: nil, now: Date()
            ).secret
            try await withAPIServer(db, masterID: master, access: AccessControl(Self.settings)) { base in
                let anonymous = String(decoding: try await send(base, "GET", "/workers").body, as: UTF8.self)
                #expect(anonymous.contains("w1") && !anonymous.contains("/ui/workers/w1/pause"))
                #expect(anonymous.contains(#"href="/login""#))
                let asDeveloper = String(
                    decoding: try await send(base, "GET", "/workers", headers: bearer(developer)).body, as: UTF8.self)
                #expect(!asDeveloper.contains("/ui/workers/w1/kill") && asDeveloper.contains("erin"))
                let admin = try await db.tokens.create(
                    user: "alice", roles: ["admin"], description: "", expiresAt: nil, now: Date()
                ).secret
                let asAdmin = String(
                    decoding: try await send(base, "GET", "/workers", headers: bearer(admin)).body, as: UTF8.self)
                #expect(asAdmin.contains("/ui/workers/w1/kill") && asAdmin.contains("/ui/workers/w1/pause"))
            }
        }
    }
}
