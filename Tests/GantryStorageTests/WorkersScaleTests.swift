import GantryStorage
import GantryTesting
import Testing

@Suite("WorkersConnector at scale", .paced)
struct WorkersScaleTests {
    /// Buildbot's `test_workerConfiguredManyBuilders`: far more rows than SQLite's bound-variable limit.
    @Test("2,000 workers over 1,000 builder-master links deconfigure on SQLite")
    func deconfigureMany() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = try await db.masters.findMasterId("m")
            try await db.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
                INSERT INTO builders (name, name_hash) SELECT 'b' || i, 'h' || i FROM n
                """
            )
            try await db.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                INSERT INTO workers (name) SELECT 'w' || i FROM n
                """
            )
            try await db.builders.updateBuilderList(master, builderids: Array(1...1000))
            try await db.execute(
                """
                INSERT INTO configured_workers (buildermasterid, workerid)
                SELECT bm.id, w.id FROM builder_masters bm JOIN workers w ON w.id % 1000 = bm.builderid % 1000
                """
            )
            #expect(try await db.count("configured_workers") == 2000)
            #expect(try await db.workers.getWorkers(masterid: master).count == 2000)

            try await db.workers.deconfigureAllWorkersForMaster(master)
            #expect(try await db.count("configured_workers") == 0)
        }
    }

    @Test("a worker configured on 1,000 builders at once, then on none", arguments: TestBackend.enabled)
    func configureManyBuilders(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m")
            let worker = try await db.workers.findWorkerId("w")
            try await db.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
                INSERT INTO builders (name, name_hash) SELECT 'b' || i, 'h' || i FROM n
                """
            )
            let builders = try await db.builders.getBuilders().map(\.id)
            try await db.builders.updateBuilderList(master, builderids: builders)
            try await db.workers.workerConfigured(worker, masterid: master, builderids: builders)
            #expect(try await db.workers.getWorker(worker)?.configuredOn.count == 1000)
            try await db.workers.workerConfigured(worker, masterid: master, builderids: [])
            #expect(try await db.workers.getWorker(worker)?.configuredOn.isEmpty == true)
        }
    }
}
