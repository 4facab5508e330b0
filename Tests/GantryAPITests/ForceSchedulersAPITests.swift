import Foundation
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: force schedulers and scheduler control", .paced, .timeLimit(.minutes(3)))
struct ForceSchedulersAPITests {
    private func force(_ db: Database) -> ForceScheduler {
        ForceScheduler(
            options: SchedulerOptions(name: "force", builderNames: ["linux"]),
            parameters: [ForceParameter(name: "target", kind: .choice(["debug", "release"]), required: true)],
            context: SchedulerContext(database: db, clock: ContinuousClock(), logger: silentLogger)
        )
    }

    /// Registers the builder and lets master m1 hold the scheduler's claim.
    private func claim(_ db: Database) async throws -> Int {
        _ = try await db.builders.findBuilderId("linux")
        let master = try await db.masters.findMasterId("m1")
        let scheduler = try await db.schedulers.findSchedulerId("force")
        try await db.schedulers.setSchedulerMaster(scheduler, masterid: master)
        return scheduler
    }

    @Test("force: the buildset and request ids, or every invalid parameter", arguments: TestBackend.enabled)
    func force(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            _ = try await claim(db)
            try await withAPIServer(db, forceSchedulers: [force(db)]) { base in
                let listed = try await httpGet(base, "/api/v2/forceschedulers")
                #expect(listed["forceschedulers", 0, "name"] == .string("force"))
                // After Buildbot's two groups: who forces and why, and the source stamp of the one codebase.
                #expect(listed["forceschedulers", 0, "all_fields", 2, "name"] == .string("target"))

                let call =
                    #"{"jsonrpc": "2.0", "method": "force", "id": 7, "params": {"owner": "ada", "target": "release"}}"#
                let forced = try await httpPost(base, "/api/v2/forceschedulers/force", body: call)
                #expect(forced.status == 200)
                #expect(forced["id"] == .number(7))
                let buildsetID = try #require(forced["result", 0]?.integer)
                let builder = try await db.builders.findBuilderId("linux")
                let requestID = try #require(forced["result", 1, String(builder)]?.integer)
                #expect(try await db.buildRequests.getBuildRequest(requestID)?.buildsetID == buildsetID)
                #expect(
                    try await db.buildsets.getBuildset(buildsetID)?.reason == "A build was forced by 'ada': force build"
                )

                let invalid = try await httpPost(
                    base, "/api/v2/forceschedulers/force",
                    body: #"{"jsonrpc": "2.0", "method": "force", "id": 8, "params": {"target": "fast", "x": 1}}"#)
                #expect(invalid.status == 400)
                #expect(invalid["error", "code"] == .number(-32602))
                #expect(invalid["error", "data", "target"] == .string("must be one of: debug, release"))
                #expect(invalid["error", "data", "x"] == .string("is not a parameter of force scheduler 'force'"))

                let unknown = try await httpPost(base, "/api/v2/forceschedulers/nope", body: call)
                #expect(unknown.status == 404)
                let method = try await httpPost(
                    base, "/api/v2/forceschedulers/force", body: #"{"jsonrpc": "2.0", "method": "stop", "id": 1}"#)
                #expect(method.status == 400)
                #expect(try await httpPost(base, "/api/v2/forceschedulers/force", body: "{").status == 400)
                #expect(try await db.buildsets.getBuildsets().count == 1)

                // Buildbot's UI names the builder whose page it is on, by id as text or number.
                for id in [#""\#(builder)""#, "\(builder)"] {
                    let byID = try await httpPost(
                        base, "/api/v2/forceschedulers/force",
                        body:
                            #"{"jsonrpc": "2.0", "method": "force", "id": 9, "params": {"builderid": \#(id), "target": "debug"}}"#
                    )
                    #expect(byID.status == 200 && byID["result", 1, String(builder)] != nil, "\(byID)")
                }
                let other = try await db.builders.findBuilderId("other")
                for id in ["\(other)", #""x""#, "null"] {
                    let refused = try await httpPost(
                        base, "/api/v2/forceschedulers/force",
                        body:
                            #"{"jsonrpc": "2.0", "method": "force", "id": 9, "params": {"builderid": \#(id), "target": "debug"}}"#
                    )
                    #expect(refused.status == 400, "builderid \(id)")
                }
                #expect(try await db.buildsets.getBuildsets().count == 3)
            }
        }
    }

    @Test("force with no master running the scheduler: 503 and a clear message")
    func unclaimed() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, forceSchedulers: [force(db)]) { base in
                let answer = try await httpPost(
                    base, "/api/v2/forceschedulers/force",
                    body: #"{"jsonrpc": "2.0", "method": "force", "id": 1, "params": {"target": "debug"}}"#)
                #expect(answer.status == 503)
                #expect(
                    answer["error", "message"]
                        == .string("no master is running force scheduler 'force'; try again once one is"))
            }
        }
    }

    /// Runs `statement` as a trigger whenever a source stamp is added: the force reads the scheduler's claim first,
    /// then adds its source stamp, then writes its buildset fenced by that claim.
    private func onSourceStamp(_ db: Database, _ backend: TestBackend, run statement: String) async throws {
        switch backend {
        case .sqlite:
            try await db.execute("CREATE TRIGGER on_stamp AFTER INSERT ON sourcestamps BEGIN \(statement); END")
        case .postgres:
            try await db.execute(
                "CREATE FUNCTION on_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \(statement); RETURN NULL; END $$"
            )
            try await db.execute(
                "CREATE TRIGGER on_stamp AFTER INSERT ON sourcestamps FOR EACH ROW EXECUTE PROCEDURE on_stamp()")
        }
    }

    private let forceCall = #"{"jsonrpc": "2.0", "method": "force", "id": 1, "params": {"target": "debug"}}"#

    @Test(
        "force on a scheduler another master took over before the buildset was written: 503, nothing written",
        arguments: TestBackend.enabled)
    func takenOver(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let scheduler = try await claim(db)
            let other = try await db.masters.findMasterId("m2")
            let takeOver = "UPDATE scheduler_masters SET masterid = \(other), epoch = epoch + 1"
            try await onSourceStamp(db, backend, run: "\(takeOver) WHERE schedulerid = \(scheduler)")
            try await withAPIServer(db, forceSchedulers: [force(db)]) { base in
                let answer = try await httpPost(base, "/api/v2/forceschedulers/force", body: forceCall)
                #expect(answer.status == 503)
                #expect(answer["error", "code"] == .number(-32000))
                #expect(
                    answer["error", "message"]
                        == .string(
                            "force scheduler 'force' moved to another master during the request; nothing was written, "
                                + "try again"))
                #expect(try await db.buildsets.getBuildsets().isEmpty)
                #expect(try await db.schedulers.getSchedulerClaim(scheduler)?.masterID == other)
            }
        }
    }

    @Test(
        "force whose database session ended before its buildset was written: 503, nothing written",
        .enabled(if: TestBackend.postgresURL != nil))
    func sessionEnded() async throws {
        try await withTestDatabase(.postgres) { db in
            _ = try await claim(db)
            try await onSourceStamp(db, .postgres, run: "PERFORM pg_terminate_backend(pg_backend_pid())")
            try await withAPIServer(db, forceSchedulers: [force(db)]) { base in
                let answer = try await httpPost(base, "/api/v2/forceschedulers/force", body: forceCall)
                #expect(answer.status == 503)
                let message = answer["error", "message"]?.string ?? ""
                #expect(message.hasSuffix("nothing was written; try again"), "\(message)")
                #expect(try await db.buildsets.getBuildsets().isEmpty)
                #expect(try await db.count("sourcestamps") == 0)
            }
        }
    }

    @Test("enable and disable a scheduler; bad calls change nothing", arguments: TestBackend.enabled)
    func enable(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let scheduler = try await claim(db)
            try await withAPIServer(db) { base in
                let path = "/api/v2/schedulers/\(scheduler)"
                let off = try await httpPost(
                    base, path, body: #"{"jsonrpc": "2.0", "method": "enable", "id": 1, "params": {"enabled": false}}"#)
                #expect(off.status == 200)
                #expect(try await db.schedulers.getScheduler(scheduler)?.enabled == false)
                #expect(try await httpGet(base, path)["schedulers", 0, "enabled"] == .bool(false))
                let bad = try await httpPost(
                    base, path, body: #"{"jsonrpc": "2.0", "method": "enable", "id": 2, "params": {"enabled": "yes"}}"#)
                #expect(bad.status == 400)
                #expect(try await db.schedulers.getScheduler(scheduler)?.enabled == false)
                let on = try await httpPost(
                    base, path, body: #"{"jsonrpc": "2.0", "method": "enable", "id": 3, "params": {"enabled": true}}"#)
                #expect(on.status == 200)
                #expect(try await db.schedulers.getScheduler(scheduler)?.enabled == true)
                #expect(
                    try await httpPost(base, "/api/v2/schedulers/999", body: #"{"method": "enable"}"#).status == 404)
            }
        }
    }
}
