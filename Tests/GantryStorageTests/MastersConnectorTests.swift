import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("MastersConnector", .paced)
struct MastersConnectorTests {
    let time = ManualWallClock()

    @Test("findMasterId registers a new master inactive with last_active = now", arguments: TestBackend.enabled)
    func findNew(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let id = try await db.masters.findMasterId("some:master")
            #expect(
                try await db.masters.getMaster(id)
                    == Master(id: id, name: "some:master", active: false, lastActive: time.now))
        }
    }

    @Test("findMasterId returns the existing id and is case-sensitive", arguments: TestBackend.enabled)
    func findExisting(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let id = try await db.masters.findMasterId("some:master")
            time.advance(by: 60)
            #expect(try await db.masters.findMasterId("some:master") == id)
            let other = try await db.masters.findMasterId("some:Master")
            #expect(other != id)
            #expect(try await db.masters.getMaster(id)?.lastActive == time.now.addingTimeInterval(-60))
            #expect(try await db.masters.getMasters().total == 2)
        }
    }

    @Test("setMasterState on an unknown id returns false and inserts nothing", arguments: TestBackend.enabled)
    func setStateMissing(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let changed = try await db.masters.setMasterState(7, active: true)
            #expect(!changed)
            #expect(try await db.masters.getMasters().items.isEmpty)
        }
    }

    @Test("activating an active master returns false but refreshes last_active", arguments: TestBackend.enabled)
    func activateActive(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let id = try await db.masters.findMasterId("m")
            let activated = try await db.masters.setMasterState(id, active: true)
            #expect(activated)
            time.advance(by: 30)
            let reactivated = try await db.masters.setMasterState(id, active: true)
            #expect(!reactivated)
            #expect(try await db.masters.getMaster(id) == Master(id: id, name: "m", active: true, lastActive: time.now))
        }
    }

    @Test("deactivating keeps last_active; deactivating again changes nothing", arguments: TestBackend.enabled)
    func deactivate(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let id = try await db.masters.findMasterId("m")
            try await db.masters.setMasterState(id, active: true)
            let activeAt = time.now
            time.advance(by: 30)
            let deactivated = try await db.masters.setMasterState(id, active: false)
            #expect(deactivated)
            #expect(
                try await db.masters.getMaster(id) == Master(id: id, name: "m", active: false, lastActive: activeAt))
            time.advance(by: 30)
            let again = try await db.masters.setMasterState(id, active: false)
            #expect(!again)
            #expect(try await db.masters.getMaster(id)?.lastActive == activeAt)
        }
    }

    @Test("deactivating deletes that master's scheduler claims only", arguments: TestBackend.enabled)
    func deactivateDeletesClaims(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let mine = try await db.masters.findMasterId("mine")
            let other = try await db.masters.findMasterId("other")
            try await db.execute("INSERT INTO schedulers (id, name, name_hash) VALUES (1, 's1', 'h1'), (2, 's2', 'h2')")
            try await db.execute(
                "INSERT INTO scheduler_masters (schedulerid, masterid, epoch) VALUES (1, \(mine), 1), (2, \(other), 1)"
            )
            try await db.masters.setMasterState(mine, active: true)
            try await db.masters.setMasterState(mine, active: false)
            #expect(try await db.count("scheduler_masters", where: "masterid = \(mine)") == 0)
            #expect(try await db.count("scheduler_masters", where: "masterid = \(other)") == 1)
        }
    }

    @Test("getMaster of an unknown id is nil", arguments: TestBackend.enabled)
    func getMissing(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.getMaster(42)
            #expect(master == nil)
        }
    }

    @Test("getMasters filters, orders, pages and reports the total before paging", arguments: TestBackend.enabled)
    func query(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            var ids: [String: Int] = [:]
            for name in ["c", "a", "d", "b"] {
                ids[name] = try await db.masters.findMasterId(name)
                time.advance(by: 10)
            }
            try await db.masters.setMasterState(ids["a"]!, active: true)
            try await db.masters.setMasterState(ids["d"]!, active: true)

            let active = try await db.masters.getMasters(ResultSpec(filters: [.equal(.active, .bool(true))]))
            #expect(active.items.map(\.name) == ["a", "d"])
            #expect(active.total == 2)

            let byName = try await db.masters.getMasters(ResultSpec(order: [Ordering(.name, descending: true)]))
            #expect(byName.items.map(\.name) == ["d", "c", "b", "a"])

            let paged = try await db.masters.getMasters(ResultSpec(order: [Ordering(.name)], limit: 2, offset: 1))
            #expect(paged.items.map(\.name) == ["b", "c"])
            #expect(paged.total == 4)

            let some = try await db.masters.getMasters(
                ResultSpec(filters: [Filter(.name, .eq, [.string("a"), .string("b")])])
            )
            #expect(some.items.map(\.name) == ["a", "b"])
            let notSome = try await db.masters.getMasters(ResultSpec(filters: [Filter(.name, .ne, [.string("a")])]))
            #expect(notSome.items.map(\.name) == ["c", "d", "b"])

            let byID = try await db.masters.getMasters(ResultSpec(filters: [.equal(.masterid, .int(ids["b"]!))]))
            #expect(byID.items.map(\.name) == ["b"])

            let start = Int(time.now.timeIntervalSince1970)
            let recent = try await db.masters.getMasters(
                ResultSpec(filters: [Filter(.lastActive, .ge, [.int(start - 20)])], order: [Ordering(.lastActive)])
            )
            #expect(recent.items.map(\.name) == ["b", "a", "d"])

            _ = try await db.masters.findMasterId("Alpha")
            let containing = try await db.masters.getMasters(
                ResultSpec(filters: [Filter(.name, .contains, [.string("lph")])]))
            #expect(containing.items.map(\.name) == ["Alpha"])
            let caseSensitive = try await db.masters.getMasters(
                ResultSpec(filters: [Filter(.name, .contains, [.string("ALP")])]))
            #expect(caseSensitive.total == 0)
        }
    }

    @Test("setAllMastersActiveLongTimeAgo really commits", arguments: TestBackend.enabled)
    func longTimeAgo(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let a = try await db.masters.findMasterId("a")
            let b = try await db.masters.findMasterId("b")
            try await db.masters.setMasterState(b, active: true)
            try await db.masters.setAllMastersActiveLongTimeAgo()
            let epoch = Date(timeIntervalSince1970: 0)
            #expect(
                try await db.masters.getMasters().items == [
                    Master(id: a, name: "a", active: true, lastActive: epoch),
                    Master(id: b, name: "b", active: true, lastActive: epoch),
                ])
        }
    }

    @Test("20 concurrent findMasterId calls with one new name return one id", arguments: TestBackend.enabled)
    func concurrentFind(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await db.masters.findMasterId("racing:master") }
                }
                return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(try await db.masters.getMasters().total == 1)
        }
    }
}
