import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: locks", .paced, .timeLimit(.minutes(3)))
struct LocksAPITests {
    let time = ManualWallClock()

    @Test(
        "the held locks with their holders; a build's wait and a step's locks in their resources",
        arguments: TestBackend.enabled)
    func held(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("b")
            var builds: [Int] = []
            for _ in 0..<2 {
                let (_, requests) = try await db.buildsets.addBuildset(reason: "test", builderids: [builder])
                let build = try await db.builds.addBuild(
                    builderid: builder, buildrequestid: try #require(requests[builder]), workerid: nil,
                    masterid: master)
                builds.append(build.id)
            }
            let step = try await db.steps.addStep(buildid: builds[1], name: "compile")
            let db2 = LockConfig(name: "db", maxCount: 2)
            let cpu = LockConfig(name: "cpu", kind: .worker)
            let since = time.now
            time.advance(by: 3)
            #expect(
                try await db.locks.acquire(
                    [LockAccess(cpu, mode: .exclusive).request(onWorker: "wk1")], buildid: builds[0], masterid: master)
                    == .acquired)
            #expect(
                try await db.locks.acquire(
                    [LockAccess(db2).request(onWorker: "wk1")], buildid: builds[1], stepid: step.id, masterid: master,
                    waitingSince: since) == .acquired)
            try await withAPIServer(db) { base in
                let locks = try await httpGet(base, "/api/v2/locks")
                #expect(locks.status == 200 && locks["meta", "total"] == .number(2))
                #expect(locks["locks", 0, "name"] == .string("cpu") && locks["locks", 0, "scope"] == .string("wk1"))
                #expect(
                    locks["locks", 0, "holders"]
                        == .array([
                            .object([
                                "buildid": .number(Double(builds[0])), "stepid": .null,
                                "masterid": .number(Double(master)), "exclusive": .bool(true),
                                "acquired_at": .number(time.now.timeIntervalSince1970),
                            ])
                        ]))
                #expect(locks["locks", 1, "name"] == .string("db") && locks["locks", 1, "scope"] == .string(""))
                #expect(locks["locks", 1, "holders", 0, "stepid"] == .number(Double(step.id)))

                let build = try await httpGet(base, "/api/v2/builds/\(builds[1])")
                #expect(build["builds", 0, "locks_duration_s"] == .number(3))
                let steps = try await httpGet(base, "/api/v2/builds/\(builds[1])/steps")
                #expect(steps["steps", 0, "locks_acquired_at"] == .number(time.now.timeIntervalSince1970))
            }
        }
    }
}
