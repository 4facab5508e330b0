import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("StateConnector", .paced)
struct StateConnectorTests {
    @Test("getObjectId is find-or-create and shortens long names", arguments: TestBackend.enabled)
    func objects(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.state.getObjectId("someobj", className: "Periodic")
            #expect(try await db.state.getObjectId("someobj", className: "Periodic") == id)
            #expect(try await db.state.getObjectId("someobj", className: "Nightly") != id)
            let long = String(repeating: "someobj", count: 150)
            let longID = try await db.state.getObjectId(long, className: "C")
            #expect(try await db.state.getObjectId(long, className: "C") == longID)
            let stored = try await db.count(
                "objects", where: "name = '\(String(repeating: "someobj", count: 9))s' || 'x' OR length(name) = 104")
            #expect(stored == 1)
        }
    }

    @Test("getState: missing, default, present, corrupt", arguments: TestBackend.enabled)
    func getState(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.state.getObjectId("o", className: "C")
            let missing = await #expect(throws: GantryError.self) { try await db.state.getState(id, "k") }
            #expect(missing?.code == .notFound)
            #expect(try await db.state.getState(id, "k", default: nil) == .null)
            #expect(try await db.state.getState(id, "k", default: 5) == 5)
            try await db.state.setState(id, "k", [1, 2])
            #expect(try await db.state.getState(id, "k") == [1, 2])
            try await db.execute(
                "INSERT INTO object_state (objectid, name, value_json) VALUES (\(id), 'bad', '{not json')")
            let corrupt = await #expect(throws: GantryError.self) { try await db.state.getState(id, "bad", default: 1) }
            #expect(corrupt?.code == .corruptState)
        }
    }

    @Test(
        "setState overwrites and bumps the version; compare-and-set reports conflicts", arguments: TestBackend.enabled)
    func compareAndSet(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.state.getObjectId("o", className: "C")
            #expect(try await db.state.setState(id, "k", 1, expectedVersion: 0) == 1)
            let exists = await #expect(throws: GantryError.self) {
                try await db.state.setState(id, "k", 9, expectedVersion: 0)
            }
            #expect(exists?.code == .conflict)
            #expect(try await db.state.setState(id, "k", 2, expectedVersion: 1) == 2)
            let stale = await #expect(throws: GantryError.self) {
                try await db.state.setState(id, "k", 3, expectedVersion: 1)
            }
            #expect(stale?.code == .conflict)
            #expect(try await db.state.getVersionedState(id, "k") == .init(value: 2, version: 2))
            #expect(try await db.state.setState(id, "k", "x") == 3)
            #expect(try await db.state.getState(id, "k") == "x")
        }
    }

    @Test("two racing compare-and-set writers: one wins, the other is told", arguments: TestBackend.enabled)
    func racingWriters(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.state.getObjectId("o", className: "C")
            try await db.state.setState(id, "k", 0)
            let results = await withTaskGroup(of: Bool.self) { group in
                for value in 1...8 {
                    group.addTask {
                        (try? await db.state.setState(id, "k", .number(Double(value)), expectedVersion: 1)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await db.state.getVersionedState(id, "k")?.version == 2)
        }
    }

    @Test("atomicCreateState creates once; a second creator gets the first value", arguments: TestBackend.enabled)
    func atomicCreate(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.state.getObjectId("o", className: "C")
            #expect(try await db.state.atomicCreateState(id, "k") { 22 } == 22)
            #expect(try await db.state.atomicCreateState(id, "k") { 33 } == 22)
        }
    }

    @Test(
        "a fenced write fails once the claim is no longer current, and writes nothing", arguments: TestBackend.enabled)
    func fenced(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let a = try await db.masters.findMasterId("a")
            let b = try await db.masters.findMasterId("b")
            let sid = try await db.schedulers.findSchedulerId("s")
            let id = try await db.state.getObjectId("s", className: "Periodic")
            let old = try await db.schedulers.setSchedulerMaster(sid, masterid: a)
            try await db.state.setState(id, "last_build", 100, fence: old)
            try await db.masters.setMasterState(a, active: true)
            try await db.masters.setMasterState(a, active: false)
            try await db.schedulers.setSchedulerMaster(sid, masterid: b)
            let error = await #expect(throws: GantryError.self) {
                try await db.state.setState(id, "last_build", 200, fence: old)
            }
            #expect(error?.code == .fenced)
            #expect(try await db.state.getState(id, "last_build") == 100)
        }
    }
}
