import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: control of builds, build requests and workers", .paced, .timeLimit(.minutes(3)))
struct ControlAPITests {
    private func call(_ base: URL, _ path: String, _ method: String, _ params: String = "{}") async throws
        -> HTTPAnswer
    {
        try await httpPost(
            base, path, body: #"{"jsonrpc": "2.0", "method": "\#(method)", "params": \#(params), "id": 7}"#)
    }

    @Test("a control call's body over 1 MiB is answered 413, never 500, and changes nothing")
    func oversizedCall() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = try await db.masters.findMasterId("m1")
            _ = try await db.workers.findWorkerId("w1")
            try await withAPIServer(db, masterID: master) { base in
                let call = #"{"jsonrpc": "2.0", "method": "pause", "id": 1}"#
                let answer = try await httpPost(
                    base, "/api/v2/workers/w1", body: call + String(repeating: " ", count: 2 << 20))
                #expect(answer.status == 413)
                #expect(try await db.workers.getWorkers().first?.paused == false)
                // The same call, small enough, is carried out.
                #expect(try await httpPost(base, "/api/v2/workers/w1", body: call).status == 200)
                #expect(try await db.workers.getWorkers().first?.paused == true)
            }
        }
    }

    @Test("stop, rebuild and cancel are written to the database; bad calls are refused and change nothing")
    func builds() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("linux")
            let stamp = try await db.sourceStamps.findSourceStampId(SourceStampFields(branch: "main", revision: "abc"))
            let (bsid, requests) = try await db.buildsets.addBuildset(
                reason: "r", builderids: [builder], sourceStampIDs: [stamp], properties: ["owner": ["ada", "Force"]])
            let brid = try #require(requests[builder])
            try await db.buildRequests.claimBuildRequests([brid], masterid: master)
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: brid, workerid: nil, masterid: master)
            let (_, waiting) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            let waitingID = try #require(waiting[builder])
            try await withAPIServer(db, masterID: master) { base in
                let stop = try await call(base, "/api/v2/builds/\(build.id)", "stop", #"{"reason": "by ada"}"#)
                #expect(stop.status == 200 && stop["id"] == .number(7))
                #expect(try await db.builds.getStopRequests(masterid: master).map(\.reason) == ["by ada"])

                let rebuild = try await call(base, "/api/v2/builds/\(build.id)", "rebuild")
                #expect(rebuild.status == 200)
                let newSet = try #require(rebuild["result", 0]?.integer)
                #expect(newSet != bsid)
                let copied = try #require(try await db.buildsets.getBuildset(newSet))
                #expect(copied.sourceStampIDs == [stamp] && copied.properties == ["owner": ["ada", "Force"]])
                #expect(copied.rebuiltBuildID == build.id, "the build it rebuilds, as Buildbot records it")

                let cancel = try await call(base, "/api/v2/buildrequests/\(waitingID)", "cancel")
                #expect(cancel.status == 200 && cancel["result"] == .string("cancelled"))
                #expect(try await db.buildRequests.getBuildRequest(waitingID)?.results == .cancelled)
                let cancelRunning = try await call(base, "/api/v2/buildrequests/\(brid)", "cancel")
                #expect(cancelRunning["result"] == .string("stopping"))

                let before = try await db.buildsets.getBuildsets().count
                #expect(try await call(base, "/api/v2/builds/\(build.id)", "explode").status == 400)
                #expect(try await call(base, "/api/v2/builds/\(build.id)", "stop", #"{"reason": 3}"#).status == 400)
                #expect(try await call(base, "/api/v2/builds/\(build.id)", "stop", #"{"force": true}"#).status == 400)
                #expect(try await call(base, "/api/v2/builds/999", "rebuild").status == 404)
                #expect(try await call(base, "/api/v2/buildrequests/\(waitingID)", "cancel").status == 409)
                #expect(try await httpPost(base, "/api/v2/builds/\(build.id)", body: "stop").status == 400)
                try await db.builds.finishBuild(build.id, results: .success)
                let finished = try await call(base, "/api/v2/builds/\(build.id)", "stop")
                #expect(
                    finished.status == 409
                        && finished["error", "message"] == .string("build \(build.id) has already finished"))
                #expect(try await db.buildsets.getBuildsets().count == before)
            }
        }
    }

    @Test("workers: pause with a reason, unpause, graceful stop and kill, by name or id")
    func workers() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = try await db.masters.findMasterId("m1")
            let worker = try await db.workers.findWorkerId("wk1")
            try await withAPIServer(db, masterID: master) { base in
                #expect(try await call(base, "/api/v2/workers/wk1", "pause", #"{"reason": "disk full"}"#).status == 200)
                let paused = try await httpGet(base, "/api/v2/workers/wk1")
                #expect(
                    paused["workers", 0, "paused"] == .bool(true)
                        && paused["workers", 0, "pause_reason"] == .string("disk full"))
                #expect(try await call(base, "/api/v2/workers/\(worker)", "unpause").status == 200)
                #expect(try await db.workers.getWorker(worker)?.paused == false)
                let notConnected = try await call(base, "/api/v2/workers/wk1", "kill")
                #expect(notConnected.status == 409)
                try await db.workers.workerConnected(worker, masterid: master, workerInfo: [:])
                #expect(try await call(base, "/api/v2/workers/wk1", "stop").status == 200)
                #expect(try await call(base, "/api/v2/workers/wk1", "kill").status == 200)
                #expect(
                    try await db.workers.getWorkerControls(masterid: master)
                        == ["wk1": WorkerControl(graceful: true, killRequested: true)])
                #expect(try await call(base, "/api/v2/workers/ghost", "pause").status == 404)
                #expect(try await call(base, "/api/v2/workers/wk1", "graceful").status == 400)
            }
        }
    }

    @Test(
        "a call whose database session ended before COMMIT: 503 and try again, nothing written",
        .enabled(if: TestBackend.postgresURL != nil))
    func sessionEnded() async throws {
        try await withTestDatabase(.postgres) { db in
            let worker = try await db.workers.findWorkerId("wk1")
            try await db.execute(
                "CREATE FUNCTION end_session() RETURNS trigger LANGUAGE plpgsql AS "
                    + "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$")
            try await db.execute(
                "CREATE TRIGGER end_session AFTER UPDATE ON workers FOR EACH ROW EXECUTE PROCEDURE end_session()")
            try await withAPIServer(db) { base in
                let answer = try await call(base, "/api/v2/workers/\(worker)", "pause")
                #expect(answer.status == 503)
                #expect(answer["id"] == .number(7))
                let message = answer["error", "message"]?.string ?? ""
                // The driver's text stays in the log.
                #expect(message == "the database is unavailable; nothing was written; try again", "\(message)")
                #expect(try await db.workers.getWorker(worker)?.paused == false)
            }
        }
    }
}
