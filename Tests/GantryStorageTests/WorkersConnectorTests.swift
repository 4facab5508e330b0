import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("WorkersConnector", .paced)
struct WorkersConnectorTests {
    @Test("findWorkerId registers a new worker with empty info and finds it again", arguments: TestBackend.enabled)
    func findWorker(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.workers.findWorkerId("some:worker".replacingOccurrences(of: ":", with: "_"))
            #expect(try await db.workers.findWorkerId("some_worker") == id)
            let worker = try await db.workers.getWorker(id)
            #expect(worker == Worker(id: id, name: "some_worker"))
        }
    }

    @Test(
        "findWorkerId accepts identifiers",
        arguments: TestBackend.enabled,
        ["w", "_w", "-w", "w-1_2", "été", "ünïcode", "日本", String(repeating: "x", count: 50)]
    )
    func validNames(_ backend: TestBackend, _ name: String) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.workers.findWorkerId(name)
            #expect(try await db.workers.getWorker(named: name)?.id == id)
        }
    }

    @Test(
        "findWorkerId refuses non-identifiers and writes nothing",
        arguments: TestBackend.enabled,
        ["", "1w", "w w", "w.x", "w:x", "w/x", String(repeating: "x", count: 51)]
    )
    func invalidNames(_ backend: TestBackend, _ name: String) async throws {
        try await withTestDatabase(backend) { db in
            let error = await #expect(throws: GantryError.self) { try await db.workers.findWorkerId(name) }
            #expect(error?.code == .invalidName)
            #expect(error?.message.contains("the first a letter") == true)
            let remaining = try await db.count("workers")
            #expect(remaining == 0)
        }
    }

    @Test("getWorker of an unknown id or name is nil", arguments: TestBackend.enabled)
    func unknownWorker(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let byID = try await db.workers.getWorker(99)
            let byName = try await db.workers.getWorker(named: "nobody")
            #expect(byID == nil && byName == nil)
        }
    }

    @Test("a worker connected to two masters lists both", arguments: TestBackend.enabled)
    func twoConnections(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            try await db.workers.workerConnected(f.w30, masterid: f.m11, workerInfo: [:])
            let worker = try await db.workers.getWorker(f.w30)
            #expect(worker?.connectedTo == [f.m10, f.m11].sorted())
            #expect(
                WorkersFixture.pairs(worker) == [f.on(f.b20, f.m10), f.on(f.b20, f.m11), f.on(f.b21, f.m10)].sorted())
        }
    }

    @Test(
        "getWorker limits configured_on by both filters and connected_to by master only", arguments: TestBackend.enabled
    )
    func getWorkerFilters(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            let all = try await db.workers.getWorker(f.w30)
            #expect(WorkersFixture.pairs(all) == [f.on(f.b20, f.m10), f.on(f.b21, f.m10), f.on(f.b20, f.m11)].sorted())
            #expect(all?.connectedTo == [f.m10])
            #expect(all?.workerInfo == ["a": "b"])

            let onBuilder = try await db.workers.getWorker(f.w30, builderid: f.b20)
            #expect(WorkersFixture.pairs(onBuilder) == [f.on(f.b20, f.m10), f.on(f.b20, f.m11)].sorted())
            #expect(onBuilder?.connectedTo == [f.m10])

            let onMaster = try await db.workers.getWorker(f.w30, masterid: f.m11)
            #expect(WorkersFixture.pairs(onMaster) == [f.on(f.b20, f.m11)])
            #expect(onMaster?.connectedTo == [])

            let both = try await db.workers.getWorker(f.w30, masterid: f.m11, builderid: f.b20)
            let bothByName = try await db.workers.getWorker(named: "zero", masterid: f.m11, builderid: f.b20)
            #expect(WorkersFixture.pairs(both) == [f.on(f.b20, f.m11)])
            #expect(both?.connectedTo == [])
            #expect(both == bothByName)
        }
    }

    @Test("without configuration every worker comes back with empty lists", arguments: TestBackend.enabled)
    func noConfiguration(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db, configured: false, connected: false)
            let workers = try await db.workers.getWorkers()
            #expect(workers == [Worker(id: f.w30, name: "zero"), Worker(id: f.w31, name: "one")])
            let filtered = try await db.workers.getWorkers(masterid: f.m10)
            #expect(filtered.isEmpty)
        }
    }

    @Test("a connected but unconfigured worker shows its connection", arguments: TestBackend.enabled)
    func connectedUnconfigured(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db, configured: false)
            let worker = try await db.workers.getWorker(f.w31)
            #expect(worker?.connectedTo == [f.m11])
            #expect(worker?.configuredOn == [])
        }
    }

    @Test("getWorkers with every filter combination of the fixture", arguments: TestBackend.enabled)
    func getWorkersFilters(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)

            let all = try await db.workers.getWorkers()
            #expect(all.map(\.id) == [f.w30, f.w31])
            #expect(
                WorkersFixture.pairs(all[0]) == [f.on(f.b20, f.m10), f.on(f.b21, f.m10), f.on(f.b20, f.m11)].sorted())
            #expect(WorkersFixture.pairs(all[1]) == [f.on(f.b20, f.m11), f.on(f.b22, f.m11)].sorted())

            let none = try await db.workers.getWorkers(masterid: f.m11, builderid: f.b21)
            #expect(none.isEmpty)

            let b20 = try await db.workers.getWorkers(builderid: f.b20)
            #expect(b20.map(\.id) == [f.w30, f.w31])
            #expect(WorkersFixture.pairs(b20[0]) == [f.on(f.b20, f.m10), f.on(f.b20, f.m11)].sorted())
            #expect(b20[0].connectedTo == [f.m10])
            #expect(WorkersFixture.pairs(b20[1]) == [f.on(f.b20, f.m11)])
            #expect(b20[1].connectedTo == [f.m11])

            let m10 = try await db.workers.getWorkers(masterid: f.m10)
            #expect(m10.map(\.id) == [f.w30])
            #expect(WorkersFixture.pairs(m10[0]) == [f.on(f.b20, f.m10), f.on(f.b21, f.m10)].sorted())
            #expect(m10[0].connectedTo == [f.m10])

            let m11 = try await db.workers.getWorkers(masterid: f.m11)
            #expect(m11.map(\.id) == [f.w30, f.w31])
            #expect(WorkersFixture.pairs(m11[0]) == [f.on(f.b20, f.m11)])
            #expect(m11[0].connectedTo == [])
            #expect(WorkersFixture.pairs(m11[1]) == [f.on(f.b20, f.m11), f.on(f.b22, f.m11)].sorted())
            #expect(m11[1].connectedTo == [f.m11])

            let m11b22 = try await db.workers.getWorkers(masterid: f.m11, builderid: f.b22)
            #expect(m11b22.map(\.id) == [f.w31])
            #expect(WorkersFixture.pairs(m11b22[0]) == [f.on(f.b22, f.m11)])
            #expect(m11b22[0].connectedTo == [f.m11])
        }
    }

    @Test("paused and graceful filters, with the pause reason", arguments: TestBackend.enabled)
    func pausedAndGraceful(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            try await db.workers.setWorkerPaused(f.w31, paused: true, pauseReason: "reason")
            let paused = try await db.workers.getWorkers(paused: true)
            #expect(paused.map(\.id) == [f.w31])
            #expect(paused.first?.pauseReason == "reason")
            #expect(try await db.workers.getWorkers(paused: false).map(\.id) == [f.w30])

            try await db.workers.setWorkerGraceful(f.w30, graceful: true)
            #expect(try await db.workers.getWorkers(graceful: true).map(\.id) == [f.w30])
            #expect(
                try await db.workers.getWorkers(masterid: f.m11, paused: true, graceful: false).map(\.id) == [f.w31])
        }
    }

    @Test("set_worker_paused overwrites both fields; set_worker_graceful round-trips", arguments: TestBackend.enabled)
    func pauseRoundTrip(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.workers.findWorkerId("w")
            try await db.workers.setWorkerPaused(id, paused: true, pauseReason: "disk full")
            #expect(try await db.workers.getWorker(id)?.pauseReason == "disk full")
            try await db.workers.setWorkerPaused(id, paused: false)
            let unpaused = try await db.workers.getWorker(id)
            #expect(unpaused?.paused == false && unpaused?.pauseReason == nil)
            try await db.workers.setWorkerPaused(id, paused: true)
            let silent = try await db.workers.getWorker(id)
            #expect(silent?.paused == true && silent?.pauseReason == nil)
            try await db.workers.setWorkerGraceful(id, graceful: true)
            #expect(try await db.workers.getWorker(id)?.graceful == true)
            try await db.workers.setWorkerGraceful(id, graceful: false)
            #expect(try await db.workers.getWorker(id)?.graceful == false)
        }
    }

    @Test("workerConnected is idempotent and replaces the info", arguments: TestBackend.enabled)
    func connect(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            try await db.workers.workerConnected(f.w30, masterid: f.m10, workerInfo: ["admin": "me", "n": 3])
            try await db.workers.workerConnected(f.w30, masterid: f.m10, workerInfo: ["admin": "you"])
            let worker = try await db.workers.getWorker(f.w30)
            #expect(worker?.connectedTo == [f.m10])
            #expect(worker?.workerInfo == ["admin": "you"])
        }
    }

    @Test("workerDisconnected removes one link only and is a no-op when absent", arguments: TestBackend.enabled)
    func disconnect(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            try await db.workers.workerConnected(f.w30, masterid: f.m11, workerInfo: [:])
            try await db.workers.workerDisconnected(f.w30, masterid: f.m11)
            #expect(try await db.workers.getWorker(f.w30)?.connectedTo == [f.m10])
            try await db.workers.workerDisconnected(f.w30, masterid: f.m11)
            try await db.workers.workerDisconnected(f.w31, masterid: f.m10)
            #expect(try await db.workers.getWorker(f.w30)?.connectedTo == [f.m10])
            #expect(try await db.workers.getWorker(f.w31)?.connectedTo == [f.m11])
        }
    }

    @Test("deconfigure all, then configure and reconfigure without duplicates", arguments: TestBackend.enabled)
    func reconfigure(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            try await db.workers.deconfigureAllWorkersForMaster(f.m10)
            try await db.workers.workerConfigured(f.w30, masterid: f.m10, builderids: [f.b20, f.b22])
            #expect(
                WorkersFixture.pairs(try await db.workers.getWorker(f.w30))
                    == [f.on(f.b20, f.m11), f.on(f.b20, f.m10), f.on(f.b22, f.m10)].sorted()
            )
            try await db.workers.workerConfigured(f.w30, masterid: f.m10, builderids: [f.b20, f.b21, f.b22])
            try await db.workers.workerConfigured(f.w30, masterid: f.m10, builderids: [f.b20, f.b21, f.b22])
            #expect(
                WorkersFixture.pairs(try await db.workers.getWorker(f.w30))
                    == [f.on(f.b20, f.m11), f.on(f.b20, f.m10), f.on(f.b21, f.m10), f.on(f.b22, f.m10)].sorted()
            )
        }
    }

    @Test("workerConfigured replaces this master's set and leaves the rest", arguments: TestBackend.enabled)
    func configureReplaces(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            let unlinked = try await db.builders.findBuilderId("b99")
            try await db.workers.workerConfigured(f.w30, masterid: f.m10, builderids: [f.b20, f.b22, unlinked])
            #expect(
                WorkersFixture.pairs(try await db.workers.getWorker(f.w30))
                    == [f.on(f.b20, f.m10), f.on(f.b22, f.m10), f.on(f.b20, f.m11)].sorted()
            )
            #expect(
                WorkersFixture.pairs(try await db.workers.getWorker(f.w31))
                    == [f.on(f.b20, f.m11), f.on(f.b22, f.m11)].sorted()
            )
        }
    }

    @Test("configuring an empty list unconfigures this master only", arguments: TestBackend.enabled)
    func unconfigure(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            try await db.workers.workerConfigured(f.w30, masterid: f.m11, builderids: [])
            #expect(
                WorkersFixture.pairs(try await db.workers.getWorker(f.w30))
                    == [f.on(f.b20, f.m10), f.on(f.b21, f.m10)].sorted())
            #expect(
                WorkersFixture.pairs(try await db.workers.getWorker(f.w31))
                    == [f.on(f.b20, f.m11), f.on(f.b22, f.m11)].sorted())
            try await db.workers.workerConfigured(f.w30, masterid: f.m10, builderids: [])
            #expect(try await db.workers.getWorker(f.w30)?.configuredOn == [])
        }
    }

    @Test("deconfigureAllWorkersForMaster empties that master only", arguments: TestBackend.enabled)
    func deconfigureAll(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            #expect(try await db.workers.getWorkers(masterid: f.m11).count == 2)
            try await db.workers.deconfigureAllWorkersForMaster(f.m11)
            #expect(try await db.workers.getWorkers(masterid: f.m11).isEmpty)
            #expect(try await db.workers.getWorkers(masterid: f.m10).map(\.id) == [f.w30])
        }
    }
}
