import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// Where the distributor records its workers as configured, at start and on each reload; no worker connects.
@Suite("The distributor's configured workers", .paced)
struct DistributorConfigurationTests {
    /// The builders of master `masterid` each worker is configured on, by worker name.
    private func configured(_ db: Database, on masterid: Int) async throws -> [String: [Int]] {
        var configured: [String: [Int]] = [:]
        for worker in try await db.workers.getWorkers() {
            configured[worker.name] = worker.configuredOn.filter { $0.masterID == masterid }.map(\.builderID).sorted()
        }
        return configured
    }

    @Test(
        "a reload leaves each worker configured on exactly its new builders here; a dropped or removed one on none",
        arguments: TestBackend.enabled
    )
    func reload(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            let other = try await db.masters.findMasterId("m2")
            let a = try await db.builders.findBuilderId("a")
            let b = try await db.builders.findBuilderId("b")
            try await db.builders.updateBuilderList(master, builderids: [a, b])
            try await db.builders.updateBuilderList(other, builderids: [a])
            let manager = WorkerManager(clock: ContinuousClock(), keepalive: .seconds(60), logger: silentLogger)
            let distributor = BuildDistributor(
                database: db, masterID: master, workers: manager, clock: ContinuousClock(), logger: silentLogger)
            try await distributor.configure([
                .init(id: a, name: "a", workers: ["wk1", "wk2", "wk3"], steps: []),
                .init(id: b, name: "b", workers: ["wk1"], steps: []),
            ])
            let wk2 = try await db.workers.findWorkerId("wk2")
            try await db.workers.workerConfigured(wk2, masterid: other, builderids: [a])
            #expect(try await configured(db, on: master) == ["wk1": [a, b], "wk2": [a], "wk3": [a]])

            // wk1 stays in the configuration but leaves both builders, wk2 leaves the configuration, wk3 gains b.
            try await distributor.configure([
                .init(id: a, name: "a", workers: ["wk3"], steps: []),
                .init(id: b, name: "b", workers: ["wk3"], steps: []),
            ])
            #expect(try await configured(db, on: master) == ["wk1": [], "wk2": [], "wk3": [a, b]])
            #expect(try await configured(db, on: other) == ["wk1": [], "wk2": [a], "wk3": []], "the other master's")
        }
    }

    @Test(
        "a configured worker that serves no builder is registered all the same, so it is listed and can be paused",
        arguments: TestBackend.enabled
    )
    func idleWorker(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            let a = try await db.builders.findBuilderId("a")
            try await db.builders.updateBuilderList(master, builderids: [a])
            let manager = WorkerManager(clock: ContinuousClock(), keepalive: .seconds(60), logger: silentLogger)
            let distributor = BuildDistributor(
                database: db, masterID: master, workers: manager, clock: ContinuousClock(), logger: silentLogger)
            try await distributor.configure(
                [.init(id: a, name: "a", workers: ["wk1"], steps: [])], maxBuilds: ["wk1": 1, "spare": 2])
            #expect(try await configured(db, on: master) == ["wk1": [a], "spare": []])
        }
    }
}
