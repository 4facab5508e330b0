import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// The queries behind the data API's routes under a parent (`/changes/{id}/builds`, `/builds/{id}/changes`,
/// `/builders/{id}/masters`), the source stamps collection, and what a buildset records of where it came from.
@Suite("Related collections", .paced, .timeLimit(.minutes(3)))
struct RelatedCollectionsTests {
    /// A change on `main` built by one build of builder `linux`, and an unrelated build of a forced buildset.
    private struct Fixture {
        var master: Int
        var builder: Int
        var change: Int
        var changeBuild: Int
        var forcedBuild: Int
    }

    private func makeFixture(_ db: Database) async throws -> Fixture {
        let master = try await db.masters.findMasterId("m1")
        let builder = try await db.builders.findBuilderId("linux")
        try await db.builders.updateBuilderList(master, builderids: [builder])
        let change = try await db.changes.addChange(
            NewChange(author: "ada", revision: "abc", branch: "main", repository: "https://example.org/r.git"))
        let stamp = try #require(try await db.changes.getChange(change)).sourceStampID
        let (_, built) = try await db.buildsets.addBuildset(
            reason: "change", builderids: [builder], sourceStampIDs: [stamp])
        let changeBuild = try await db.builds.addBuild(
            builderid: builder, buildrequestid: try #require(built[builder]), workerid: nil, masterid: master)
        let other = try await db.sourceStamps.findSourceStampId(SourceStampFields(branch: "main"))
        let (_, forced) = try await db.buildsets.addBuildset(
            reason: "forced", builderids: [builder], sourceStampIDs: [other])
        let forcedBuild = try await db.builds.addBuild(
            builderid: builder, buildrequestid: try #require(forced[builder]), workerid: nil, masterid: master)
        return Fixture(
            master: master, builder: builder, change: change, changeBuild: changeBuild.id,
            forcedBuild: forcedBuild.id)
    }

    @Test("the builds of a change are those of buildsets with its source stamp", arguments: TestBackend.enabled)
    func buildsOfChange(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let fixture = try await makeFixture(db)
            let page = try await db.builds.getBuilds(ResultSpec(), changeid: fixture.change)
            #expect(page.items.map(\.id) == [fixture.changeBuild] && page.total == 1)
            let filtered = try await db.builds.getBuilds(
                ResultSpec(filters: [.equal(.complete, .bool(true))]), changeid: fixture.change)
            #expect(filtered.items.isEmpty && filtered.total == 0, "the spec still applies")
            #expect(try await db.builds.getBuilds(ResultSpec(), changeid: fixture.change + 1).total == 0)
        }
    }

    @Test("the changes of a build are those of its buildset's source stamps", arguments: TestBackend.enabled)
    func changesOfBuild(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let fixture = try await makeFixture(db)
            let page = try await db.changes.getChanges(ResultSpec(), buildid: fixture.changeBuild)
            #expect(page.items.map(\.id) == [fixture.change] && page.total == 1)
            #expect(try await db.changes.getChanges(ResultSpec(), buildid: fixture.forcedBuild).total == 0)
            let other = try await db.changes.getChanges(
                ResultSpec(filters: [.equal(.author, .string("bob"))]), buildid: fixture.changeBuild)
            #expect(other.total == 0, "the spec still applies")
        }
    }

    @Test("the masters of a builder are those running it", arguments: TestBackend.enabled)
    func mastersOfBuilder(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let fixture = try await makeFixture(db)
            let other = try await db.masters.findMasterId("m2")
            let idle = try await db.builders.findBuilderId("idle")
            let masters = try await db.masters.getMasters(builderid: fixture.builder)
            #expect(masters.items.map(\.id) == [fixture.master] && masters.total == 1)
            #expect(try await db.masters.getMasters(builderid: idle).total == 0)
            #expect(try await db.masters.getMasters().items.map(\.id) == [fixture.master, other])
        }
    }

    @Test("source stamps are filtered, ordered and paged in the database", arguments: TestBackend.enabled)
    func sourceStamps(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            _ = try await makeFixture(db)
            let all = try await db.sourceStamps.getSourceStamps(ResultSpec<SourceStampField>())
            #expect(all.total == 2 && all.items.map(\.id) == all.items.map(\.id).sorted())
            let remote = try await db.sourceStamps.getSourceStamps(
                ResultSpec(filters: [.equal(.repository, .string("https://example.org/r.git"))]))
            #expect(remote.items.map(\.revision) == ["abc"] && remote.total == 1)
            let newest = try await db.sourceStamps.getSourceStamps(
                ResultSpec(order: [Ordering(.ssid, descending: true)], limit: 1))
            #expect(newest.items.map(\.id) == [all.items[1].id] && newest.total == 2)
        }
    }

    @Test(
        "a buildset keeps its parent build and the build it rebuilds; deleting the build clears them",
        arguments: TestBackend.enabled)
    func lineage(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let fixture = try await makeFixture(db)
            let parent = BuildsetParent(buildID: fixture.changeBuild, relationship: BuildsetParent.triggeredFrom)
            let (triggered, _) = try await db.buildsets.addBuildset(
                reason: "triggered", builderids: [], parent: parent)
            let (rebuild, _) = try await db.buildsets.addBuildset(
                reason: "rebuild", builderids: [], rebuiltBuildID: fixture.forcedBuild)
            #expect(try await db.buildsets.getBuildset(triggered)?.parent == parent)
            #expect(try await db.buildsets.getBuildset(rebuild)?.rebuiltBuildID == fixture.forcedBuild)
            let rebuilds = try await db.buildsets.getBuildsets(
                ResultSpec(filters: [.equal(.rebuiltBuildID, .int(fixture.forcedBuild))]))
            #expect(rebuilds.items.map(\.id) == [rebuild])
            let children = try await db.buildsets.getBuildsets(
                ResultSpec(filters: [.equal(.parentRelationship, .string("Triggered from"))]))
            #expect(children.items.map(\.id) == [triggered])

            try await db.execute("DELETE FROM builds WHERE id IN (\(fixture.changeBuild), \(fixture.forcedBuild))")
            #expect(try await db.buildsets.getBuildset(triggered)?.parent == nil)
            #expect(try await db.buildsets.getBuildset(rebuild)?.rebuiltBuildID == nil)

            // A trigger kept until its time (NightlyTriggerable) may name a build deleted since: no build is named.
            let (late, _) = try await db.buildsets.addBuildset(
                reason: "late", builderids: [], parent: parent, rebuiltBuildID: fixture.forcedBuild)
            let added = try await db.buildsets.getBuildset(late)
            #expect(added?.parent == nil && added?.rebuiltBuildID == nil)
        }
    }

    @Test("a claimed build request says when it was claimed", arguments: TestBackend.enabled)
    func claimedAt(_ backend: TestBackend) async throws {
        let time = ManualWallClock()
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("linux")
            let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            let request = try #require(requests[builder])
            #expect(try await db.buildRequests.getBuildRequest(request)?.claimedAt == nil)
            try await db.buildRequests.claimBuildRequests([request], masterid: master)
            let claimed = try #require(try await db.buildRequests.getBuildRequest(request))
            #expect(claimed.claimedAt == time.now)
            #expect(claimed.resource["claimed_at"] == .number(time.now.timeIntervalSince1970))
            let page = try await db.buildRequests.getBuildRequests(
                ResultSpec(filters: [.equal(.claimedAt, .int(Int(time.now.timeIntervalSince1970)))]))
            #expect(page.items.map(\.id) == [request])
        }
    }
}
