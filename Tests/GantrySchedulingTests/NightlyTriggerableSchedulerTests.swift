import Foundation
import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("NightlyTriggerable scheduler", .paced, .timeLimit(.minutes(3)))
struct NightlyTriggerableSchedulerTests {
    /// An hour boundary, so offsets read as in Buildbot's tests.
    static let start = Date(timeIntervalSince1970: 1_348_970_400)
    let clock = ManualClock(start: NightlyTriggerableSchedulerTests.start)

    private func scheduler(_ db: Database) throws -> NightlyTriggerableScheduler {
        NightlyTriggerableScheduler(
            options: SchedulerOptions(name: "nightly", builderNames: ["linux"]),
            schedule: CronSchedule(
                minute: try CronField(parsing: "10,20", unit: .minute), timeZone: TimeZone(identifier: "UTC")!),
            context: .testing(db, clock))
    }

    private func trigger(revision: String) -> TriggerRequest {
        TriggerRequest(
            sourceStamps: [.init(codebase: "", repository: "https://example.org/app.git", revision: revision)],
            properties: ["reason": ["ignored", "Trigger"], "from": [.string(revision), "Trigger"]], waitedFor: true)
    }

    private func state(_ db: Database, _ key: String) async throws -> JSONValue {
        let objectID = try await db.state.getObjectId("nightly", className: "NightlyTriggerable")
        return try await db.state.getState(objectID, key, default: nil)
    }

    /// Advances the clock to `offset` seconds past the hour and waits until the time is recorded.
    private func advance(to offset: Int, _ db: Database) async throws {
        let target = Self.start.addingTimeInterval(TimeInterval(offset))
        clock.advance(by: .seconds(target.timeIntervalSince(clock.date)))
        #expect(
            try await waitUntil { try await state(db, "last_build") == .number(target.timeIntervalSince1970) },
            "no build time recorded at \(offset)")
    }

    @Test("the last trigger is built once at the next time, with its stamps and properties; no trigger, no build")
    func buildsLastTrigger() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let nightly = try scheduler(db)
            try await h.running(nightly) { _ in
                await clock.waitForSleepers(2)  // activated: the poll and the next time wait
                try await nightly.trigger(trigger(revision: "aaa"))
                try await nightly.trigger(trigger(revision: "bbb"))
                #expect(try await h.buildsets().isEmpty)
                try await advance(to: 600, db)
                try await advance(to: 1200, db)
            }
            let buildsets = try await h.buildsets()
            #expect(buildsets.count == 1)
            let buildset = try #require(buildsets.first)
            #expect(buildset.reason == "The NightlyTriggerable scheduler named 'nightly' triggered this build")
            #expect(buildset.submittedAt == Self.start.addingTimeInterval(600))
            #expect(buildset.properties["from"] == ["bbb", "Trigger"])
            let stamps = try await db.sourceStamps.getSourceStamps(ids: buildset.sourceStampIDs)
            #expect(stamps.map(\.revision) == ["bbb"])
            #expect(try await state(db, "lastTrigger") == .null)
        }
    }

    @Test("any master can trigger; with no master running it the trigger is refused; a new holder builds it")
    func failover() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            try await h.running(try scheduler(db), master: "m1") { _ in
                try await scheduler(db).trigger(trigger(revision: "ccc"))
            }
            let refused = await #expect(throws: GantryError.self) {
                try await scheduler(db).trigger(trigger(revision: "ddd"))
            }
            #expect(
                refused?.message
                    == "no master is running nightly triggerable scheduler 'nightly'; try again once one is")
            try await h.running(try scheduler(db), master: "m2") { _ in
                await clock.waitForSleepers(2)
                try await advance(to: 600, db)
            }
            let stamps = try await db.sourceStamps.getSourceStamps(
                ids: try await h.buildsets().flatMap(\.sourceStampIDs))
            #expect(stamps.map(\.revision) == ["ccc"])
        }
    }
}
