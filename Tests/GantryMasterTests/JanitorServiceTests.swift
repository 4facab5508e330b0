import Foundation
import GantryMaster
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// The janitor as the master runs it: a pass when its claim is won, then one every interval, each logged; none once
/// the claim is gone.
@Suite("The janitor service", .paced, .timeLimit(.minutes(3)))
struct JanitorServiceTests {
    let time = ManualWallClock()
    static let day: TimeInterval = 86_400
    static let settings = RetentionSettings(builds: .seconds(30 * 86_400), interval: .seconds(3600))

    @Test("a pass runs once the claim is won, then one every interval, each logged", arguments: TestBackend.enabled)
    func passes(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let old = try await BuildFixture.make(db, name: "old")
            time.advance(by: 40 * Self.day)
            let fresh = try await BuildFixture.make(db, name: "fresh")
            let claims = db.claims(.janitor)
            let fence = try await claims.claim(
                try await claims.findServiceId(JanitorService.serviceName), masterid: old.master)
            let clock = ManualClock()
            let logs = LogCapture(level: .info)
            let janitor = JanitorService(settings: Self.settings, database: db, clock: clock, logger: logs.logger)
            let running = Task { await janitor.runWhileActive(fence: fence) }
            defer { running.cancel() }

            await clock.waitForSleepers()
            #expect(try await db.builds.getBuild(old.build) == nil)
            #expect(try await db.builds.getBuild(fresh.build) != nil)
            #expect(logs.messages == ["retention pass finished"])

            time.advance(by: 40 * Self.day)
            clock.advance(by: .seconds(3600))
            await clock.waitForSleepers()
            #expect(try await db.builds.getBuild(fresh.build) == nil)
            #expect(logs.messages == ["retention pass finished", "retention pass finished"])
        }
    }

    @Test("a janitor whose claim another master took deletes nothing and stops", arguments: TestBackend.enabled)
    func deposed(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let old = try await BuildFixture.make(db, name: "old")
            time.advance(by: 40 * Self.day)
            let claims = db.claims(.janitor)
            let janitor = try await claims.findServiceId(JanitorService.serviceName)
            let stale = try await claims.claim(janitor, masterid: old.master)
            try await claims.unclaim(stale)
            try await claims.claim(janitor, masterid: try await db.masters.findMasterId("other"))
            let clock = ManualClock()

            // It returns by itself: no sleep, no second pass.
            await JanitorService(settings: Self.settings, database: db, clock: clock, logger: silentLogger)
                .runWhileActive(fence: stale)

            #expect(clock.sleeperCount == 0)
            #expect(try await db.builds.getBuild(old.build) != nil)
            #expect(try await db.count("logchunks", where: "logid = \(old.log)") > 0)
        }
    }
}
