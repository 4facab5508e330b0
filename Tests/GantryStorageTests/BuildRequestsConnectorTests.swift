import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("BuildRequestsConnector", .paced, .timeLimit(.minutes(3)))
struct BuildRequestsConnectorTests {
    let time = ManualWallClock()

    /// Masters m1 and m2 and one buildset with requests on three builders.
    private struct Fixture {
        var m1: Int
        var m2: Int
        var buildset: Int
        var requests: [Int]
    }

    private func fixture(_ db: Database) async throws -> Fixture {
        let m1 = try await db.masters.findMasterId("m1")
        let m2 = try await db.masters.findMasterId("m2")
        var builders: [Int] = []
        for name in ["linux", "mac", "windows"] { builders.append(try await db.builders.findBuilderId(name)) }
        let (buildset, requests) = try await db.buildsets.addBuildset(reason: "test", builderids: builders)
        return Fixture(m1: m1, m2: m2, buildset: buildset, requests: builders.compactMap { requests[$0] })
    }

    @Test("claiming is all or nothing", arguments: TestBackend.enabled)
    func allOrNothing(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let f = try await fixture(db)
            try await db.buildRequests.claimBuildRequests([f.requests[0], f.requests[1]], masterid: f.m1)
            let error = await #expect(throws: GantryError.self) {
                try await db.buildRequests.claimBuildRequests([f.requests[1], f.requests[2]], masterid: f.m2)
            }
            #expect(error?.code == .alreadyClaimed)
            #expect(error?.message.hasSuffix(": \(f.requests[1])") == true)
            let unclaimed = try await db.buildRequests.getBuildRequests(claimed: .unclaimed)
            #expect(unclaimed.map(\.id) == [f.requests[2]], "the refused claim left nothing behind")
            let mine = try await db.buildRequests.getBuildRequests(claimed: .claimedBy(masterid: f.m1))
            #expect(mine.map(\.id) == [f.requests[0], f.requests[1]])
            #expect(try await db.buildRequests.getBuildRequests(claimed: .claimed).count == 2)
            await #expect(throws: GantryError.self) {
                try await db.buildRequests.claimBuildRequests([999], masterid: f.m1)
            }
        }
    }

    @Test("unclaiming releases only the caller's own claims on incomplete requests", arguments: TestBackend.enabled)
    func unclaim(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let f = try await fixture(db)
            try await db.buildRequests.claimBuildRequests([f.requests[0], f.requests[1]], masterid: f.m1)
            try await db.buildRequests.claimBuildRequests([f.requests[2]], masterid: f.m2)
            try await db.buildRequests.completeBuildRequests([f.requests[1]], results: .success, masterid: f.m1)
            try await db.buildRequests.unclaimBuildRequests(f.requests, masterid: f.m1)
            let requests = try await db.buildRequests.getBuildRequests()
            #expect(requests.map(\.claimedByMasterID) == [nil, f.m1, f.m2])
        }
    }

    @Test(
        "completing needs this master's claim; the buildset completes with the worst result",
        arguments: TestBackend.enabled)
    func complete(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let f = try await fixture(db)
            try await db.buildRequests.claimBuildRequests(f.requests, masterid: f.m1)
            let refused = await #expect(throws: GantryError.self) {
                try await db.buildRequests.completeBuildRequests(f.requests, results: .success, masterid: f.m2)
            }
            #expect(refused?.code == .conflict)
            #expect(try await db.buildRequests.getBuildRequests(complete: true).isEmpty)

            time.advance(by: 10)
            try await db.buildRequests.completeBuildRequests([f.requests[0]], results: .warnings, masterid: f.m1)
            #expect(try await db.buildsets.getBuildset(f.buildset)?.complete == false)
            try await db.buildRequests.completeBuildRequests([f.requests[1]], results: .failure, masterid: f.m1)
            try await db.buildRequests.completeBuildRequests([f.requests[2]], results: .success, masterid: f.m1)
            let again = await #expect(throws: GantryError.self) {
                try await db.buildRequests.completeBuildRequests([f.requests[2]], results: .success, masterid: f.m1)
            }
            #expect(again?.code == .conflict)

            let first = try #require(try await db.buildRequests.getBuildRequest(f.requests[0]))
            #expect(first.complete && first.results == .warnings && first.completeAt == time.now)
            let buildset = try #require(try await db.buildsets.getBuildset(f.buildset))
            #expect(buildset.complete)
            #expect(buildset.results == .failure)
            #expect(buildset.completeAt == time.now)
        }
    }

    @Test(
        "a buildset with no builders is complete at once; completing twice is refused", arguments: TestBackend.enabled)
    func buildsetCompletion(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let stamp = try await db.sourceStamps.findSourceStampId(SourceStampFields(revision: "abc"))
            let (empty, _) = try await db.buildsets.addBuildset(reason: "none", builderids: [], sourceStampIDs: [stamp])
            let buildset = try #require(try await db.buildsets.getBuildset(empty))
            #expect(buildset.complete && buildset.results == .success)
            #expect(buildset.sourceStampIDs == [stamp])
            let twice = await #expect(throws: GantryError.self) {
                try await db.buildsets.completeBuildset(empty, results: .failure)
            }
            #expect(twice?.code == .conflict)
            let missing = await #expect(throws: GantryError.self) {
                try await db.buildsets.completeBuildset(empty + 1, results: .failure)
            }
            #expect(missing?.code == .notFound)
            #expect(try await db.buildsets.getBuildsets(complete: false).isEmpty)
        }
    }

    @Test("ten masters claiming one request at once: exactly one gets it", arguments: TestBackend.enabled)
    func racingClaims(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let f = try await fixture(db)
            var masters: [Int] = []
            for index in 0..<10 { masters.append(try await db.masters.findMasterId("racer\(index)")) }
            let winners = try await withThrowingTaskGroup(of: Int?.self) { group in
                for master in masters {
                    group.addTask {
                        do {
                            try await db.buildRequests.claimBuildRequests([f.requests[0]], masterid: master)
                            return master
                        } catch let error as GantryError where error.code == .alreadyClaimed {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { if let winner = $1 { $0.append(winner) } }
            }
            #expect(winners.count == 1)
            #expect(try await db.buildRequests.getBuildRequest(f.requests[0])?.claimedByMasterID == winners.first)
        }
    }

    @Test(
        "empty lists of requests or builders, and a filter matching none, touch nothing",
        arguments: TestBackend.enabled)
    func emptyLists(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let f = try await fixture(db)
            #expect(try await db.buildRequests.getBuildRequests(ids: []).isEmpty)
            #expect(try await db.buildRequests.getBuildRequests(builderids: []).isEmpty)
            let none = try ResultSpec<BuildRequestField>(filters: [.equal(.buildsetid, .int(f.buildset + 1))])
            let page = try await db.buildRequests.getBuildRequests(none)
            #expect(page.items.isEmpty && page.total == 0)
            try await db.buildRequests.claimBuildRequests([], masterid: f.m1)
            try await db.buildRequests.unclaimBuildRequests([], masterid: f.m1)
            try await db.buildRequests.completeBuildRequests([], results: .success, masterid: f.m1)
            #expect(try await db.buildRequests.getBuildRequests(claimed: .unclaimed).map(\.id) == f.requests)
            #expect(try await db.buildsets.getBuildset(f.buildset)?.complete == false)
        }
    }

    @Test("change classifications: classify, reclassify, filter, flush", arguments: TestBackend.enabled)
    func classifications(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let scheduler = try await db.schedulers.findSchedulerId("single")
            let main = try await db.changes.addChange(NewChange(author: "a", branch: "main"))
            let trunk = try await db.changes.addChange(NewChange(author: "a"))
            let other = try await db.changes.addChange(NewChange(author: "a", branch: "main", codebase: "docs"))
            try await db.schedulers.classifyChanges(scheduler, [main: true, trunk: false, other: true])
            try await db.schedulers.classifyChanges(scheduler, [trunk: true])
            #expect(
                try await db.schedulers.getChangeClassifications(scheduler)
                    == [main: true, trunk: true, other: true])
            #expect(
                try await db.schedulers.getChangeClassifications(scheduler, branch: "main") == [
                    main: true, other: true,
                ])
            #expect(try await db.schedulers.getChangeClassifications(scheduler, branch: .some(nil)) == [trunk: true])
            #expect(try await db.schedulers.getChangeClassifications(scheduler, codebase: "docs") == [other: true])
            try await db.schedulers.flushChangeClassifications(scheduler, lessThan: other)
            #expect(try await db.schedulers.getChangeClassifications(scheduler) == [other: true])
            try await db.schedulers.flushChangeClassifications(scheduler)
            #expect(try await db.schedulers.getChangeClassifications(scheduler).isEmpty)
        }
    }
}
