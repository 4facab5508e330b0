import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// The API filters small collections in memory and large ones in SQL; both must give the same answers.
@Suite("ResultSpec in memory and in SQL", .paced)
struct ResultSpecEquivalenceTests {
    static let specs: [ResultSpec<MasterField>] = {
        do {
            return [
                ResultSpec(),
                try ResultSpec(filters: [.equal(.active, .bool(true))]),
                try ResultSpec(filters: [Filter(.name, .ne, [.string("b"), .string("d")])], order: [.init(.name)]),
                try ResultSpec(filters: [Filter(.name, .contains, [.string("a")])]),
                try ResultSpec(filters: [Filter(.lastActive, .gt, [.int(200)])], order: [.init(.active)]),
                try ResultSpec(filters: [Filter(.lastActive, .le, [.int(200)]), .equal(.active, .bool(false))]),
                try ResultSpec(order: [.init(.active, descending: true), .init(.name, descending: true)]),
                try ResultSpec(order: [.init(.lastActive)], limit: 2, offset: 1),
                try ResultSpec(limit: 10, offset: 4),
                try ResultSpec(offset: 3),
                try ResultSpec(limit: 0),
            ]
        } catch {
            fatalError("invalid spec: \(error)")
        }
    }()

    @Test("every spec selects the same masters, in the same order, with the same total", arguments: TestBackend.enabled)
    func equivalent(_ backend: TestBackend) async throws {
        let time = ManualWallClock()
        try await withTestDatabase(backend, clock: time.clock) { db in
            for (index, name) in ["a", "b", "ab", "d", "ca"].enumerated() {
                let id = try await db.masters.findMasterId(name)
                time.set(Date(timeIntervalSince1970: TimeInterval(100 * (index % 3 + 1))))
                try await db.masters.setMasterState(id, active: index.isMultiple(of: 2))
            }
            let all = try await db.masters.getMasters().items
            for spec in Self.specs {
                let inSQL = try await db.masters.getMasters(spec)
                let inMemory = spec.select(from: all) { master, field in
                    switch field {
                    case .masterid: .int(master.id)
                    case .name: .string(master.name)
                    case .active: .bool(master.active)
                    case .lastActive: .int(Int(master.lastActive.timeIntervalSince1970))
                    }
                }
                #expect(inMemory.items.map(\.name) == inSQL.items.map(\.name), "\(spec)")
                #expect(inMemory.total == inSQL.total, "\(spec)")
            }
        }
    }

    static let buildSpecs: [ResultSpec<BuildField>] = {
        do {
            return [
                ResultSpec(),
                try ResultSpec(filters: [.equal(.complete, .bool(false))]),
                try ResultSpec(filters: [Filter(.results, .ne, [.int(0)])], order: [.init(.results)]),
                try ResultSpec(filters: [Filter(.workerid, .ne, [.int(1)])], order: [.init(.workerid)]),
                try ResultSpec(order: [.init(.completeAt, descending: true)], limit: 3),
                try ResultSpec(order: [.init(.results, descending: true), .init(.number)], offset: 2),
                try ResultSpec(filters: [Filter(.startedAt, .ge, [.int(300)])], order: [.init(.complete)]),
                try ResultSpec(filters: [.equal(.builderid, .int(2))], order: [.init(.buildid, descending: true)]),
            ]
        } catch {
            fatalError("invalid spec: \(error)")
        }
    }()

    @Test(
        "every spec selects the same builds, with NULLs (no worker, unfinished) placed and filtered alike",
        arguments: TestBackend.enabled)
    func builds(_ backend: TestBackend) async throws {
        let time = ManualWallClock()
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m")
            let builders = [try await db.builders.findBuilderId("a"), try await db.builders.findBuilderId("b")]
            let worker = try await db.workers.findWorkerId("w")
            let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: builders)
            for index in 0..<8 {
                time.set(Date(timeIntervalSince1970: TimeInterval(100 * (index % 4 + 1))))
                let builder = builders[index % 2]
                let build = try await db.builds.addBuild(
                    builderid: builder, buildrequestid: requests[builder]!,
                    workerid: index.isMultiple(of: 3) ? nil : worker, masterid: master)
                if index % 4 != 3 {
                    try await db.builds.finishBuild(build.id, results: BuildResult(rawValue: index % 3)!)
                }
            }
            let all = try await db.builds.getBuilds()
            for spec in Self.buildSpecs {
                let inSQL = try await db.builds.getBuilds(spec)
                let inMemory = spec.select(from: all) { $1.value(of: $0) }
                #expect(inMemory.items.map(\.id) == inSQL.items.map(\.id), "\(spec)")
                #expect(inMemory.total == inSQL.total, "\(spec)")
            }
            let ofB = try await db.builds.getBuilds(ResultSpec(), builderid: builders[1])
            #expect(ofB.total == 4 && ofB.items.allSatisfy { $0.builderID == builders[1] })
        }
    }
}
