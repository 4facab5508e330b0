import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("Dependent scheduler", .paced, .timeLimit(.minutes(3)))
struct DependentSchedulerTests {
    let clock = ManualClock()

    private func dependent(_ db: Database) -> DependentScheduler {
        DependentScheduler(
            options: SchedulerOptions(name: "down", builderNames: ["test"]), upstream: "uppy",
            context: .testing(db, clock))
    }

    /// An upstream buildset on one sourcestamp, run by master `m9`; returns its id and request ids.
    private func upstreamBuildset(_ db: Database, revision: String) async throws -> (Int, [Int]) {
        let master = try await db.masters.findMasterId("m9")
        let upstream = try await db.schedulers.findSchedulerId("uppy")
        let fence = try await db.schedulers.setSchedulerMaster(upstream, masterid: master)
        let stamp = try await db.sourceStamps.findSourceStampId(SourceStampFields(revision: revision))
        let added = try await db.buildsets.addBuildset(
            fence: fence, reason: "up", builderids: [try await db.builders.findBuilderId("build")],
            sourceStampIDs: [stamp])
        return (added.buildsetID, Array(added.requestIDs.values))
    }

    private func finish(_ db: Database, _ requests: [Int], _ results: BuildResult) async throws {
        let master = try await db.masters.findMasterId("m9")
        try await db.buildRequests.claimBuildRequests(requests, masterid: master)
        try await db.buildRequests.completeBuildRequests(requests, results: results, masterid: master)
    }

    @Test("SUCCESS and WARNINGS upstream build the same sourcestamps downstream; FAILURE does not; once each")
    func downstream() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["build", "test"])
            try await h.running(dependent(db)) { _ in
                // Upstream buildsets from now on: the scheduler has recorded where it starts.
                let objectID = try await db.state.getObjectId("down", className: "Dependent")
                let started = try await waitUntil {
                    try await db.state.getState(objectID, "upstream_position", default: nil) != .null
                }
                #expect(started)
                let (good, goodRequests) = try await upstreamBuildset(db, revision: "1")
                let (warned, warnedRequests) = try await upstreamBuildset(db, revision: "2")
                let (_, failedRequests) = try await upstreamBuildset(db, revision: "3")
                try await finish(db, goodRequests, .success)
                try await finish(db, warnedRequests, .warnings)
                try await finish(db, failedRequests, .failure)
                let downstream = try await waitUntil {
                    try await db.buildsets.getBuildsets().filter { $0.reason == "downstream" }.count == 2
                }
                #expect(downstream)
                let all = try await db.buildsets.getBuildsets()
                let built = all.filter { $0.reason == "downstream" }
                let upstream = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
                #expect(
                    built.map(\.sourceStampIDs)
                        == [try #require(upstream[good]).sourceStampIDs, try #require(upstream[warned]).sourceStampIDs])
                #expect(built.allSatisfy { $0.properties["scheduler"] == ["down", "Scheduler"] })
                let settled = try await waitUntil {
                    try await db.state.getState(objectID, "upstream_bsids", default: nil) == []
                }
                #expect(settled)
            }
            #expect(try await db.buildsets.getBuildsets().filter { $0.reason == "downstream" }.count == 2)
        }
    }

    @Test(
        "a forced upstream buildset, with no change behind its sourcestamp, is built downstream",
        arguments: TestBackend.enabled)
    func forcedUpstream(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["build", "test"])
            let force = ForceScheduler(
                options: SchedulerOptions(
                    name: "uppy", builderNames: ["build"],
                    codebases: ["": CodebaseDefaults(repository: "https://example.org/app.git", branch: "main")]),
                parameters: [], context: .testing(db, clock))
            try await h.running(force) { _ in
                try await h.running(dependent(db)) { _ in
                    let objectID = try await db.state.getObjectId("down", className: "Dependent")
                    let started = try await waitUntil {
                        try await db.state.getState(objectID, "upstream_position", default: nil) != .null
                    }
                    #expect(started)
                    let forced = try await force.force(owner: "ada", arguments: [:])
                    try await finish(db, Array(forced.requestIDs.values), .success)
                    let built = try await waitUntil {
                        try await db.buildsets.getBuildsets().contains { $0.reason == "downstream" }
                    }
                    #expect(built)
                    let upstream = try #require(try await db.buildsets.getBuildset(forced.buildsetID))
                    let downstream = try await db.buildsets.getBuildsets().filter { $0.reason == "downstream" }
                    #expect(downstream.map(\.sourceStampIDs) == [upstream.sourceStampIDs])
                    #expect(try await db.changes.getChanges().isEmpty)
                }
            }
        }
    }

    @Test("awaited upstream buildsets that no longer exist are pruned from the state")
    func prunesMissing() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["build", "test"])
            let objectID = try await db.state.getObjectId("down", className: "Dependent")
            let (kept, _) = try await upstreamBuildset(db, revision: "1")
            try await db.state.setState(objectID, "upstream_position", .number(Double(kept)))
            try await db.state.setState(objectID, "upstream_bsids", [.number(Double(kept)), 999])
            try await h.running(dependent(db)) { _ in
                let pruned = try await waitUntil {
                    try await db.state.getState(objectID, "upstream_bsids", default: nil) == [.number(Double(kept))]
                }
                #expect(pruned)
            }
        }
    }
}
