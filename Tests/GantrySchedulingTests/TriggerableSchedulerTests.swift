import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Synchronization
import Testing

@Suite("Triggerable scheduler", .paced, .timeLimit(.minutes(3)))
struct TriggerableSchedulerTests {
    let clock = ManualClock()

    private func triggerable(_ db: Database, reason: String? = nil) -> TriggerableScheduler {
        TriggerableScheduler(
            options: SchedulerOptions(
                name: "n", builderNames: ["linux"], properties: ["fixed": "yes"],
                codebases: ["cb": CodebaseDefaults(repository: "https://example.org/cb.git", branch: "main")],
                reason: reason),
            context: .testing(db, clock))
    }

    /// Completes every request of buildset `bsid` with `results`, as the master running its builds would.
    private func finish(_ db: Database, _ added: BuildsetAdder.Added, _ results: BuildResult) async throws {
        let master = try await db.masters.findMasterId("builder-master")
        let requests = Array(added.requestIDs.values)
        try await db.buildRequests.claimBuildRequests(requests, masterid: master)
        try await db.buildRequests.completeBuildRequests(requests, results: results, masterid: master)
    }

    @Test("a trigger's buildset has its sourcestamp and properties; its results arrive once it completes")
    func results() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let scheduler = triggerable(db)
            try await h.running(scheduler) { _ in
                let added = try await scheduler.trigger(
                    TriggerRequest(
                        sourceStamps: [.init(codebase: "cb", revision: "abc123")],
                        properties: ["pr": ["op", "Trigger"], "fixed": ["no", "Trigger"]], waitedFor: true))
                let buildset = try #require(try await db.buildsets.getBuildset(added.buildsetID))
                #expect(buildset.reason == "The Triggerable scheduler named 'n' triggered this build")
                #expect(buildset.properties["pr"] == ["op", "Trigger"])
                #expect(buildset.properties["fixed"] == ["yes", "Scheduler"])
                let stamps = try await db.sourceStamps.getSourceStamps(ids: buildset.sourceStampIDs)
                #expect(stamps.map(\.revision) == ["abc123"])
                #expect(stamps.map(\.branch) == ["main"])
                #expect(
                    try await db.buildRequests.getBuildRequests(buildsetid: added.buildsetID).map(\.waitedFor) == [true]
                )

                let answered = Mutex(false)
                let waiter = Task {
                    defer { answered.withLock { $0 = true } }
                    return try await scheduler.results(of: added)
                }
                #expect(await waitUntil { await scheduler.isWatchingCompletions })
                let unrelated = try await scheduler.trigger(TriggerRequest())
                try await finish(db, unrelated, .success)
                try await Task.sleep(for: .milliseconds(100))
                #expect(!answered.withLock { $0 })
                try await finish(db, added, .skipped)
                let outcome = try await waiter.value
                #expect(outcome.results == .skipped && outcome.requestIDs == added.requestIDs)
                #expect(await waitUntil { await !scheduler.isWatchingCompletions })
            }
        }
    }

    @Test("overlapping triggers: each waiter gets its own results whatever order they complete in")
    func overlapping() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let scheduler = triggerable(db)
            try await h.running(scheduler) { _ in
                let first = try await scheduler.trigger(TriggerRequest())
                let second = try await scheduler.trigger(TriggerRequest())
                let firstResults = Task { try await scheduler.results(of: first) }
                let secondResults = Task { try await scheduler.results(of: second) }
                try await finish(db, second, .failure)
                #expect(try await secondResults.value.results == .failure)
                try await finish(db, first, .warnings)
                #expect(try await firstResults.value.results == .warnings)
                // A buildset completed before anyone waits is answered at once.
                #expect(try await scheduler.results(of: first).results == .warnings)
                #expect(await waitUntil { await !scheduler.isWatchingCompletions })
            }
        }
    }

    @Test("a trigger's buildset records the triggering build as its parent, as Buildbot's Trigger step does")
    func parent() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let master = try await db.masters.findMasterId("builder-master")
            let builder = try await db.builders.findBuilderId("linux")
            let (_, requests) = try await db.buildsets.addBuildset(reason: "parent", builderids: [builder])
            let triggering = try await db.builds.addBuild(
                builderid: builder, buildrequestid: try #require(requests[builder]), workerid: nil, masterid: master)
            let scheduler = triggerable(db)
            try await h.running(scheduler) { _ in
                let parent = BuildsetParent(buildID: triggering.id, relationship: BuildsetParent.triggeredFrom)
                let added = try await scheduler.trigger(TriggerRequest(parent: parent))
                #expect(try await db.buildsets.getBuildset(added.buildsetID)?.parent == parent)
                let plain = try await scheduler.trigger(TriggerRequest())
                #expect(try await db.buildsets.getBuildset(plain.buildsetID)?.parent == nil)
            }
        }
    }

    @Test("reason: the trigger properties' reason, else the configured one, else Buildbot's default")
    func reasons() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let scheduler = triggerable(db, reason: "configured")
            try await h.running(scheduler) { _ in
                let withReason = try await scheduler.trigger(
                    TriggerRequest(properties: ["reason": ["test1", "Trigger"]]))
                let withOther = try await scheduler.trigger(TriggerRequest(properties: ["other": [1, "Trigger"]]))
                let plain = try await scheduler.trigger(TriggerRequest())
                let reasons = try await [withReason, withOther, plain].asyncMap {
                    try await db.buildsets.getBuildset($0.buildsetID)?.reason
                }
                #expect(reasons == ["test1", "The Triggerable scheduler named 'n' triggered this build", "configured"])
                let kept = try await db.buildsets.getBuildset(withReason.buildsetID)?.properties["reason"]
                #expect(kept == ["test1", "Trigger"])
                let twice = await #expect(throws: GantryError.self) {
                    try await scheduler.trigger(
                        TriggerRequest(sourceStamps: [.init(codebase: "cb"), .init(codebase: "cb", revision: "x")]))
                }
                #expect(twice?.code == .invalidArgument)
            }
        }
    }

    @Test("any master can trigger while one runs the scheduler; none running, or disabled, is a clear error")
    func fromAnyMaster() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let unclaimed = await #expect(throws: GantryError.self) {
                try await triggerable(db).trigger(TriggerRequest())
            }
            #expect(unclaimed?.message == "no master is running triggerable scheduler 'n'; try again once one is")
            try await h.running(triggerable(db), master: "m1") { service in
                // This instance stands for the scheduler as configured on another master: the claim is m1's.
                let elsewhere = triggerable(db)
                let added = try await elsewhere.trigger(TriggerRequest())
                let schedulerID = try #require(service.fence).serviceID
                #expect(try await db.buildsets.getBuildset(added.buildsetID)?.schedulerID == schedulerID)
                try await finish(db, added, .success)
                #expect(try await elsewhere.results(of: added).results == .success)
                try await db.schedulers.enable(schedulerID, enabled: false)
                let disabled = await #expect(throws: GantryError.self) { try await elsewhere.trigger(TriggerRequest()) }
                #expect(disabled?.code == .conflict)
            }
        }
    }

    @Test("stopping fails the waiters with Buildbot's error, and the stopped scheduler takes no trigger")
    func stopping() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let scheduler = triggerable(db)
            let waiter = try await h.running(scheduler) { _ in
                let added = try await scheduler.trigger(TriggerRequest())
                let waiter = Task { try await scheduler.results(of: added) }
                #expect(await waitUntil { await scheduler.isWatchingCompletions })
                return waiter
            }
            let error = await #expect(throws: GantryError.self) { try await waiter.value }
            #expect(error == GantryError(.stopped, "Triggerable scheduler stopped before build was complete"))
            let refused = await #expect(throws: GantryError.self) { try await scheduler.trigger(TriggerRequest()) }
            #expect(refused?.code == .stopped)
            #expect(try await db.buildsets.getBuildsets().count == 1)
        }
    }
}

extension Array where Element: Sendable {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
