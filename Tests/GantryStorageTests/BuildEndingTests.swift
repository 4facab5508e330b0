import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// A build's result and its request's completion are one transaction, so no master builds a request again
/// whose build already finished.
@Suite("Ending a build with its request", .paced, .timeLimit(.minutes(3)))
struct BuildEndingTests {
    let time = ManualWallClock()

    /// An active master holding the claim on the only request of a buildset, and a build of it.
    private func building(_ db: Database, _ name: String = "m1") async throws -> (
        master: Int, request: Int, buildset: Int, build: Int
    ) {
        let master = try await db.masters.findMasterId(name)
        _ = try await db.masters.masterActive(master)
        let builder = try await db.builders.findBuilderId("b-\(name)")
        let (buildset, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
        let request = try #require(requests[builder])
        try await db.buildRequests.claimBuildRequests([request], masterid: master)
        let build = try await db.builds.addBuild(
            builderid: builder, buildrequestid: request, workerid: nil, masterid: master)
        return (master, request, buildset, build.id)
    }

    @Test("a finished build completes its request and buildset at once", arguments: TestBackend.enabled)
    func completes(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let b = try await building(db)
            let ending = try await db.builds.endBuild(
                b.build, results: .warnings, buildrequestid: b.request, masterid: b.master)
            #expect(ending == .completed)
            let build = try #require(try await db.builds.getBuild(b.build))
            #expect(build.results == .warnings && build.completeAt != nil && build.stateString == "finished")
            let request = try #require(try await db.buildRequests.getBuildRequest(b.request))
            #expect(request.complete && request.results == .warnings)
            #expect(try await db.buildsets.getBuildset(b.buildset)?.complete == true)
            let again = try await db.builds.endBuild(
                b.build, results: .success, buildrequestid: b.request, masterid: b.master)
            #expect(again == .alreadyEnded)
            #expect(try await db.builds.getBuild(b.build)?.results == .warnings)
        }
    }

    @Test("a build ending RETRY hands its request back in the same step", arguments: TestBackend.enabled)
    func retry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let b = try await building(db)
            let ending = try await db.builds.endBuild(
                b.build, results: .retry, buildrequestid: b.request, masterid: b.master)
            #expect(ending == .handedBack)
            let request = try #require(try await db.buildRequests.getBuildRequest(b.request))
            #expect(!request.complete && request.claimedByMasterID == nil)
        }
    }

    @Test("a build whose request another master holds changes nothing", arguments: TestBackend.enabled)
    func notClaimed(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let b = try await building(db)
            let other = try await db.masters.findMasterId("m2")
            let refused = await #expect(throws: GantryError.self) {
                try await db.builds.endBuild(b.build, results: .success, buildrequestid: b.request, masterid: other)
            }
            #expect(refused?.code == .conflict)
            #expect(try await db.builds.getBuild(b.build)?.completeAt == nil)
            #expect(try await db.buildRequests.getBuildRequest(b.request)?.complete == false)
        }
    }

    @Test("the build of an expired master is not ended again by it", arguments: TestBackend.enabled)
    func afterExpiry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let b = try await building(db)
            time.advance(by: 60)
            let live = try await db.masters.findMasterId("live")
            _ = try await db.masters.masterActive(live)
            let expired = try await db.masters.expireMasters(
                staleBefore: time.now.addingTimeInterval(-30), except: live)
            #expect(expired.map(\.id) == [b.master])
            let ending = try await db.builds.endBuild(
                b.build, results: .success, buildrequestid: b.request, masterid: b.master)
            #expect(ending == .alreadyEnded)
            #expect(try await db.builds.getBuild(b.build)?.results == .retry)
            let request = try #require(try await db.buildRequests.getBuildRequest(b.request))
            #expect(!request.complete && request.claimedByMasterID == nil)
        }
    }

    @Test(
        "expiry and stop complete a request whose build already finished instead of releasing it",
        arguments: TestBackend.enabled)
    func cleanupCompletes(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let stopping = try await building(db, "stopping")
            let dying = try await building(db, "dying")
            let failed = try await building(db, "failed")
            // Results stored without the completion, as by a master that died between the two.
            try await db.builds.finishBuild(stopping.build, results: .success)
            try await db.builds.finishBuild(dying.build, results: .failure)
            try await db.builds.finishBuild(failed.build, results: .retry)

            _ = try await db.masters.masterStopped(stopping.master)
            time.advance(by: 60)
            let live = try await db.masters.findMasterId("live")
            _ = try await db.masters.masterActive(live)
            _ = try await db.masters.expireMasters(staleBefore: time.now.addingTimeInterval(-30), except: live)

            let built = try #require(try await db.buildRequests.getBuildRequest(stopping.request))
            #expect(built.complete && built.results == .success)
            #expect(try await db.buildsets.getBuildset(stopping.buildset)?.complete == true)
            let broken = try #require(try await db.buildRequests.getBuildRequest(dying.request))
            #expect(broken.complete && broken.results == .failure)
            let retried = try #require(try await db.buildRequests.getBuildRequest(failed.request))
            #expect(!retried.complete && retried.claimedByMasterID == nil)
        }
    }
}
