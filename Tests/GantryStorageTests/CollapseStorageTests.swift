import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// Collapsing requests (Buildbot's `collapseRequests`): the claim that starts a build takes the builder's
/// compatible pending requests in the same transaction, the build runs the newest, and its end completes the
/// others SKIPPED or hands them all back.
@Suite("Collapsing build requests", .paced, .timeLimit(.minutes(3)))
struct CollapseStorageTests {
    let time = ManualWallClock()

    /// `main` at `r1` of `repo`: what the requests of these tests build unless told otherwise.
    static let main = SourceStampFields(branch: "main", revision: "r1", repository: "repo")

    /// One request on builder `b1`, of a buildset of its own building `stamp`, with `properties`.
    private func request(
        _ db: Database, stamp: SourceStampFields = CollapseStorageTests.main, properties: [String: JSONValue] = [:]
    ) async throws -> (id: Int, buildset: Int) {
        try await request(db, stampID: try await db.sourceStamps.findSourceStampId(stamp), properties: properties)
    }

    private func request(
        _ db: Database, stampID: Int, properties: [String: JSONValue] = [:]
    ) async throws -> (id: Int, buildset: Int) {
        let builder = try await db.builders.findBuilderId("b1")
        let (buildset, requests) = try await db.buildsets.addBuildset(
            reason: "test", builderids: [builder], sourceStampIDs: [stampID], properties: properties)
        return (try #require(requests[builder]), buildset)
    }

    /// Three compatible requests claimed through the oldest.
    private func collapsedThree(_ db: Database, master: Int) async throws -> (
        requests: [(id: Int, buildset: Int)], claim: BuildRequestsConnector.Claim
    ) {
        var requests: [(id: Int, buildset: Int)] = []
        for _ in 0..<3 { requests.append(try await request(db)) }
        let claim = try await db.buildRequests.claimBuildRequest(requests[0].id, masterid: master, collapsing: .always)
        return (requests, claim)
    }

    @Test(
        "three compatible requests: one build of the newest; the others claimed with it, completed SKIPPED at its end",
        arguments: TestBackend.enabled)
    func collapses(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let (requests, claim) = try await collapsedThree(db, master: master)
            let ids = requests.map(\.id)
            #expect(claim.built.id == ids[2] && claim.merged == [ids[0], ids[1]])
            let claimed = try await db.buildRequests.getBuildRequests(ids: ids)
            #expect(claimed.map(\.claimedByMasterID) == [master, master, master])
            #expect(claimed.map(\.collapsedInto) == [ids[2], ids[2], nil])
            #expect(claimed.allSatisfy { !$0.complete })
            #expect(claimed[0].resource["collapsed_into"] == .number(Double(ids[2])))
            let merged = try await db.buildRequests.getBuildRequests(
                try ResultSpec<BuildRequestField>(filters: [.equal(.collapsedInto, .int(ids[2]))]))
            #expect(merged.items.map(\.id) == [ids[0], ids[1]])

            let builder = try await db.builders.findBuilderId("b1")
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: ids[2], workerid: nil, masterid: master)
            let listed = try await db.buildRequests.getBuildRequestPage(complete: false, offset: 0, limit: 10).items
            let first = try #require(listed.first { $0.id == ids[0] })
            #expect(first.collapsedInto == ids[2])
            #expect(first.collapsedIntoBuildID == build.id && first.collapsedIntoBuildNumber == build.number)
            #expect(listed.first { $0.id == ids[2] }?.collapsedInto == nil)

            let ending = try await db.builds.endBuild(
                build.id, results: .success, buildrequestid: ids[2], masterid: master)
            #expect(ending == .completed)
            let done = try await db.buildRequests.getBuildRequests(ids: ids)
            #expect(done.map(\.results) == [.skipped, .skipped, .success])
            #expect(done.map(\.collapsedInto) == [ids[2], ids[2], nil], "which build completed them stays shown")
            for (index, request) in requests.enumerated() {
                let buildset = try #require(try await db.buildsets.getBuildset(request.buildset))
                #expect(buildset.complete && buildset.results == (index == 2 ? .success : .skipped))
            }
        }
    }

    @Test(
        "requests of another branch, with a patch, with other scheduler properties or without changes stay pending",
        arguments: TestBackend.enabled)
    func incompatible(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            var dev = Self.main
            dev.branch = "dev"
            var patched = Self.main
            patched.patch = Patch(level: 1, base64: "ZGlmZg==")
            let nightly: [String: JSONValue] = ["mode": ["nightly", "Scheduler"]]
            let oldest = try await request(db, properties: nightly)
            let pending = [
                try await request(db, stamp: dev, properties: nightly),
                try await request(db, stamp: patched, properties: nightly),
                try await request(db, properties: ["mode": ["quick", "Scheduler"]]),
            ].map(\.id)
            // Ignored differences: the scheduler's name and properties of other sources.
            var renamed = nightly
            renamed["scheduler"] = ["s", "Scheduler"]
            renamed["owner"] = ["ada", "Force Build Form"]
            let compatible = try await request(db, properties: renamed)
            let claim = try await db.buildRequests.claimBuildRequest(oldest.id, masterid: master, collapsing: .always)
            #expect(claim.built.id == compatible.id && claim.merged == [oldest.id])
            let unclaimed = try await db.buildRequests.getBuildRequests(complete: false, claimed: .unclaimed)
            #expect(unclaimed.map(\.id) == pending)
            #expect(unclaimed.allSatisfy { $0.collapsedInto == nil })

            // Built from changes: requests with changes collapse whatever their revisions; one without does not.
            let changed = try await db.changes.addChange(
                NewChange(author: "a", revision: "r2", branch: "main", repository: "repo"))
            let newer = try await db.changes.addChange(
                NewChange(author: "a", revision: "r3", branch: "main", repository: "repo"))
            let fromChange = try await request(
                db, stampID: try #require(try await db.changes.getChange(changed)?.sourceStampID))
            let plain = try await request(db)
            let fromNewer = try await request(
                db, stampID: try #require(try await db.changes.getChange(newer)?.sourceStampID))
            let changes = try await db.buildRequests.claimBuildRequest(
                fromChange.id, masterid: master, collapsing: .always)
            #expect(changes.built.id == fromNewer.id && changes.merged == [fromChange.id])
            #expect(try await db.buildRequests.getBuildRequest(plain.id)?.claimedByMasterID == nil)
        }
    }

    @Test("collapseRequests false: the claimed request alone is built", arguments: TestBackend.enabled)
    func never(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let ids = [try await request(db).id, try await request(db).id]
            let claim = try await db.buildRequests.claimBuildRequest(ids[0], masterid: master, collapsing: .never)
            #expect(claim.built.id == ids[0] && claim.merged.isEmpty)
            let requests = try await db.buildRequests.getBuildRequests(ids: ids)
            #expect(requests.map(\.claimedByMasterID) == [master, nil])
            #expect(requests.allSatisfy { $0.collapsedInto == nil })
            let again = await #expect(throws: GantryError.self) {
                try await db.buildRequests.claimBuildRequest(ids[0], masterid: master, collapsing: .always)
            }
            #expect(again?.code == .alreadyClaimed, "the claim stays exclusive")
        }
    }

    @Test("a build ending RETRY hands back its request and those collapsed into it", arguments: TestBackend.enabled)
    func retry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let (requests, claim) = try await collapsedThree(db, master: master)
            let build = try await db.builds.addBuild(
                builderid: claim.built.builderID, buildrequestid: claim.built.id, workerid: nil, masterid: master)
            let ending = try await db.builds.endBuild(
                build.id, results: .retry, buildrequestid: claim.built.id, masterid: master)
            #expect(ending == .handedBack)
            let handedBack = try await db.buildRequests.getBuildRequests(ids: requests.map(\.id))
            #expect(handedBack.allSatisfy { !$0.complete && $0.claimedByMasterID == nil && $0.collapsedInto == nil })
            #expect(try await db.builds.getBuild(build.id)?.stateString == "finished")
        }
    }

    @Test(
        "a build ending CANCELLED completes its own request; those collapsed into it go back to the queue",
        arguments: TestBackend.enabled)
    func cancelledBuild(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let (requests, claim) = try await collapsedThree(db, master: master)
            let build = try await db.builds.addBuild(
                builderid: claim.built.builderID, buildrequestid: claim.built.id, workerid: nil, masterid: master)
            _ = try await db.builds.endBuild(
                build.id, results: .cancelled, buildrequestid: claim.built.id, masterid: master)
            let after = try await db.buildRequests.getBuildRequests(ids: requests.map(\.id))
            let built = try #require(after.first { $0.id == claim.built.id })
            #expect(built.complete && built.results == .cancelled)
            let others = after.filter { request in claim.merged.contains(request.id) }
            #expect(others.map(\.id) == claim.merged)
            #expect(others.allSatisfy { !$0.complete && $0.claimedByMasterID == nil && $0.collapsedInto == nil })
        }
    }

    @Test(
        "an expired master's collapsed requests go back to the queue, merged into nothing",
        arguments: TestBackend.enabled)
    func expiry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            _ = try await db.masters.masterActive(master)
            let (requests, claim) = try await collapsedThree(db, master: master)
            _ = try await db.builds.addBuild(
                builderid: claim.built.builderID, buildrequestid: claim.built.id, workerid: nil, masterid: master)
            time.advance(by: 60)
            let live = try await db.masters.findMasterId("live")
            _ = try await db.masters.masterActive(live)
            let expired = try await db.masters.expireMasters(
                staleBefore: time.now.addingTimeInterval(-30), except: live)
            #expect(expired.map(\.id) == [master])
            let released = try await db.buildRequests.getBuildRequests(ids: requests.map(\.id))
            #expect(released.allSatisfy { !$0.complete && $0.claimedByMasterID == nil && $0.collapsedInto == nil })
        }
    }

    @Test("cancelling a collapsed request completes it alone; the build goes on", arguments: TestBackend.enabled)
    func cancel(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let other = try await db.masters.findMasterId("m2")
            let (requests, claim) = try await collapsedThree(db, master: master)
            let build = try await db.builds.addBuild(
                builderid: claim.built.builderID, buildrequestid: claim.built.id, workerid: nil, masterid: master)
            let outcome = try await db.buildRequests.cancelBuildRequest(requests[0].id, reason: "no", masterid: other)
            #expect(outcome == .cancelled)
            let cancelled = try #require(try await db.buildRequests.getBuildRequest(requests[0].id))
            #expect(cancelled.complete && cancelled.results == .cancelled && cancelled.collapsedInto == nil)
            #expect(try await db.buildsets.getBuildset(requests[0].buildset)?.results == .cancelled)
            #expect(try await db.builds.getBuild(build.id)?.completeAt == nil)
            _ = try await db.builds.endBuild(
                build.id, results: .failure, buildrequestid: claim.built.id, masterid: master)
            let done = try await db.buildRequests.getBuildRequests(ids: requests.map(\.id))
            #expect(done.map(\.results) == [.cancelled, .skipped, .failure])
        }
    }

    @Test(
        "two masters claiming one queue at once never claim a request twice; every request is built or merged once",
        arguments: TestBackend.enabled)
    func competing(_ backend: TestBackend) async throws {
        try await withSharedTestDatabase(backend, clock: time.clock) { first, second in
            let masters = [try await first.masters.findMasterId("m1"), try await first.masters.findMasterId("m2")]
            // 40 requests in 20 groups of two: five branches, four scheduler property values.
            var ids: [Int] = []
            for index in 0..<40 {
                var stamp = Self.main
                stamp.branch = "b\(index % 5)"
                let properties: [String: JSONValue] = ["batch": [.number(Double(index / 10)), "Scheduler"]]
                ids.append(try await request(first, stamp: stamp, properties: properties).id)
            }
            let builder = try await first.builders.findBuilderId("b1")
            /// Claims the oldest pending request of the queue until none is left.
            @Sendable func drain(_ db: Database, as master: Int) async throws -> [BuildRequestsConnector.Claim] {
                var claims: [BuildRequestsConnector.Claim] = []
                while let next = try await db.buildRequests.getBuildRequests(
                    builderid: builder, complete: false, claimed: .unclaimed
                ).first {
                    do {
                        claims.append(
                            try await db.buildRequests.claimBuildRequest(
                                next.id, masterid: master, collapsing: .always))
                    } catch let error as GantryError where error.code == .alreadyClaimed {
                        continue  // the other master took it first
                    }
                }
                return claims
            }
            async let firstClaims = drain(first, as: masters[0])
            async let secondClaims = drain(second, as: masters[1])
            let claims = [try await firstClaims, try await secondClaims]
            let covered = claims.flatMap { $0.flatMap { [$0.built.id] + $0.merged } }
            #expect(covered.count == ids.count && Set(covered) == Set(ids), "each request in exactly one claim")
            #expect(claims.joined().count == 20, "one build per group")
            let stored = Dictionary(
                uniqueKeysWithValues: try await first.buildRequests.getBuildRequests(ids: ids).map { ($0.id, $0) })
            for (master, made) in zip(masters, claims) {
                for claim in made {
                    #expect(stored[claim.built.id]?.claimedByMasterID == master)
                    #expect(stored[claim.built.id]?.collapsedInto == nil)
                    for merged in claim.merged {
                        #expect(stored[merged]?.claimedByMasterID == master)
                        #expect(stored[merged]?.collapsedInto == claim.built.id)
                    }
                }
            }
        }
    }
}
