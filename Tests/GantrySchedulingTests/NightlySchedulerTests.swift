import Foundation
import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("Nightly scheduler", .paced, .timeLimit(.minutes(3)))
struct NightlySchedulerTests {
    /// An hour boundary, so offsets read as in Buildbot's tests.
    static let start = Date(timeIntervalSince1970: 1_348_970_400)
    let clock = ManualClock(start: NightlySchedulerTests.start)

    private func nightly(
        _ db: Database, minutes: String, onlyIfChanged: Bool = false, forceAt: String? = nil, absolute: Bool = false
    ) throws -> NightlyScheduler {
        let utc = TimeZone(identifier: "UTC")!
        return NightlyScheduler(
            options: SchedulerOptions(
                name: "test", builderNames: ["linux"], codebases: ["": CodebaseDefaults(revision: "configured")]),
            schedule: CronSchedule(minute: try CronField(parsing: minutes, unit: .minute), timeZone: utc),
            onlyIfChanged: onlyIfChanged,
            consumption: ChangeConsumption(filter: ChangeFilter(rules: [.branch: [.equal(["main"])]])),
            forceAt: try forceAt.map { CronSchedule(minute: try CronField(parsing: $0, unit: .minute), timeZone: utc) },
            createAbsoluteSourceStamps: absolute,
            context: .testing(db, clock)
        )
    }

    /// Seconds since the hour of each buildset's submission.
    private func offsets(_ h: SchedulerHarness) async throws -> [Int] {
        try await h.buildsets().map { Int($0.submittedAt.timeIntervalSince(Self.start)) }
    }

    private func lastBuild(_ db: Database) async throws -> JSONValue {
        let objectID = try await db.state.getObjectId("test", className: "Nightly")
        return try await db.state.getState(objectID, "last_build", default: nil)
    }

    /// Advances the clock to `offset` seconds past the hour and waits until the scheduler has recorded a build
    /// time at or after it.
    private func advance(to offset: Int, _ db: Database) async throws {
        let target = Self.start.addingTimeInterval(TimeInterval(offset))
        clock.advance(by: .seconds(target.timeIntervalSince(clock.date)))
        #expect(
            try await waitUntil {
                guard case .number(let seconds) = try await lastBuild(db) else { return false }
                return seconds >= target.timeIntervalSince1970
            }, "no build time recorded at \(offset)")
    }

    @Test("minutes 10, 20, 21, 40, 50, 51 over 30 minutes: builds at 600, 1200 and 1260 s")
    func minutes() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            try await h.running(try nightly(db, minutes: "10,20,21,40,50,51")) { _ in
                await clock.waitForSleepers(2)  // activated: the change poll and the next time wait
                for offset in [600, 1200, 1260] { try await advance(to: offset, db) }
                clock.advance(by: .seconds(540))
                await clock.waitForSleepers(2)
            }
            #expect(try await offsets(h) == [600, 1200, 1260])
            #expect(try await lastBuild(db) == .number(Self.start.timeIntervalSince1970 + 1260))
            let buildset = try #require(try await h.buildsets().first)
            #expect(buildset.reason == "The Nightly scheduler named 'test' triggered this build")
        }
    }

    @Test("onlyIfChanged: the first build happens, later times without important changes are skipped")
    func onlyIfChanged() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            try await h.running(try nightly(db, minutes: "5,25,45", onlyIfChanged: true)) { _ in
                await clock.waitForSleepers(2)  // activated: the change poll and the next time wait
                try await advance(to: 300, db)
                #expect(try await offsets(h) == [300], "a new scheduler builds once")
                try await advance(to: 1500, db)
                #expect(try await offsets(h) == [300], "nothing changed")
                try await h.addChange(branch: "other")
                let change = try await h.addChange()
                try await h.waitUntilRead("test", className: "Nightly")
                try await advance(to: 2700, db)
                #expect(try await offsets(h) == [300, 2700])
                #expect(try await h.changesBehindBuildsets().last == [change])
            }
        }
    }

    @Test("onlyIfChanged with forceAt: a forced time builds without changes")
    func forceAt() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            try await h.running(try nightly(db, minutes: "5,25,45", onlyIfChanged: true, forceAt: "23,25,27")) { _ in
                await clock.waitForSleepers(2)  // activated: the change poll and the next time wait
                try await advance(to: 300, db)
                try await advance(to: 1500, db)
            }
            #expect(try await offsets(h) == [300, 1500])
        }
    }

    @Test("a master taking over after a missed time builds at once")
    func missedTime() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            try await h.running(try nightly(db, minutes: "10"), master: "m1") { _ in
                await clock.waitForSleepers(2)  // activated: the change poll and the next time wait
                try await advance(to: 600, db)
            }
            clock.advance(by: .seconds(3 * 3600))
            try await h.running(try nightly(db, minutes: "10"), master: "m2") { _ in
                await clock.waitForSleepers(2)  // activated: the change poll and the next time wait
                let built = try await waitUntil { try await h.buildsets().count == 2 }
                #expect(built)
            }
            #expect(try await offsets(h).last == 3 * 3600 + 600)
        }
    }

    @Test("createAbsoluteSourceStamps: a time without changes builds the last revision seen, not the configured one")
    func absoluteSourceStamps() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            try await h.running(try nightly(db, minutes: "10,20", absolute: true)) { _ in
                await clock.waitForSleepers(2)  // activated: the change poll and the next time wait
                let change = try await h.addChange()
                try await h.waitUntilRead("test", className: "Nightly")
                try await advance(to: 600, db)
                try await advance(to: 1200, db)
                let revision = try await db.changes.getChange(change)?.revision
                var built: [String?] = []
                for buildset in try await h.buildsets() {
                    built += try await db.sourceStamps.getSourceStamps(ids: buildset.sourceStampIDs).map(\.revision)
                }
                #expect(built == [revision, revision])
                #expect(try await h.changesBehindBuildsets() == [[change], [change]])
            }
        }
    }
}
