import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: schedulers and workers", .paced, .timeLimit(.minutes(3)))
struct SchedulersWorkersAPITests {
    @Test("schedulers carry the master that runs them, or null", arguments: TestBackend.enabled)
    func schedulers(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            try await db.masters.masterActive(master)
            let nightly = try await db.schedulers.findSchedulerId("nightly")
            _ = try await db.schedulers.findSchedulerId("idle")
            try await db.schedulers.setSchedulerMaster(nightly, masterid: master)
            try await withAPIServer(db) { base in
                let all = try await httpGet(base, "/api/v2/schedulers")
                #expect(all.status == 200)
                #expect(all["meta", "total"] == .number(2))
                #expect(all["schedulers", 0, "name"] == .string("nightly"))
                #expect(all["schedulers", 0, "enabled"] == .bool(true))
                #expect(all["schedulers", 0, "master", "name"] == .string("m1"))
                #expect(all["schedulers", 0, "master", "active"] == .bool(true))
                #expect(all["schedulers", 1, "master"] == .null)

                let mine = try await httpGet(base, "/api/v2/schedulers?masterid=\(master)&field=name")
                #expect(mine["schedulers"] == .array([.object(["name": .string("nightly")])]))
                let idle = try await httpGet(base, "/api/v2/schedulers?masterid__ne=\(master)")
                #expect(idle["schedulers", 0, "name"] == .string("idle"))

                let one = try await httpGet(base, "/api/v2/schedulers/\(nightly)")
                #expect(one["schedulers", 0, "schedulerid"] == .number(Double(nightly)))
                #expect(try await httpGet(base, "/api/v2/schedulers/99").status == 404)
                #expect(try await httpGet(base, "/api/v2/schedulers?colour=red").status == 400)
            }
        }
    }

    @Test("workers by id or name, with where they are connected and configured", arguments: TestBackend.enabled)
    func workers(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("linux")
            try await db.builders.updateBuilderList(master, builderids: [builder])
            let w1 = try await db.workers.findWorkerId("w1")
            let w2 = try await db.workers.findWorkerId("w2")
            try await db.workers.workerConnected(w1, masterid: master, workerInfo: ["os": "linux"])
            try await db.workers.workerConfigured(w1, masterid: master, builderids: [builder])
            try await db.workers.setWorkerPaused(w2, paused: true, pauseReason: "disk full")
            try await withAPIServer(db) { base in
                let all = try await httpGet(base, "/api/v2/workers")
                #expect(all["meta", "total"] == .number(2))
                #expect(all["workers", 0, "connected_to"] == .array([.object(["masterid": .number(Double(master))])]))
                #expect(
                    all["workers", 0, "configured_on"]
                        == .array([
                            .object(["builderid": .number(Double(builder)), "masterid": .number(Double(master))])
                        ])
                )
                #expect(all["workers", 0, "workerinfo", "os"] == .string("linux"))

                let paused = try await httpGet(base, "/api/v2/workers?paused=true")
                #expect(paused["workers", 0, "name"] == .string("w2"))
                #expect(paused["workers", 0, "pause_reason"] == .string("disk full"))
                #expect(paused["meta", "total"] == .number(1))

                #expect(try await httpGet(base, "/api/v2/workers/\(w2)")["workers", 0, "name"] == .string("w2"))
                #expect(try await httpGet(base, "/api/v2/workers/w1")["workers", 0, "workerid"] == .number(Double(w1)))
                let missing = try await httpGet(base, "/api/v2/workers/nobody")
                #expect(missing.status == 404)
                #expect(missing["error"] == .string("no worker 'nobody'"))
            }
        }
    }
}
