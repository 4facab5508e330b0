import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// The janitor's deletes: what finished long enough ago goes, in batches, with everything that hangs on it; nothing
/// unfinished or recent is touched, and a janitor whose claim is gone writes nothing.
@Suite("Retention: deleting what is old", .paced, .timeLimit(.minutes(3)))
struct RetentionTests {
    let time = ManualWallClock()
    static let day: TimeInterval = 86_400
    static let month = RetentionSettings(logs: .seconds(30 * 86_400))
    static let year = RetentionSettings(builds: .seconds(365 * 86_400))

    /// One pass of `settings` with no claim, as `gantry cleanupdb` runs it.
    private func pass(
        _ db: Database, _ settings: RetentionSettings, batchSize: Int = RetentionConnector.defaultBatchSize
    ) async throws -> RetentionReport {
        var progress = RetentionProgress()
        return try await db.retention(batchSize: batchSize).deleteOld(settings, progress: &progress, fence: nil)
    }

    @Test(
        "old finished builds go with all that hangs on them; recent and unfinished ones stay",
        arguments: TestBackend.enabled)
    func oldBuilds(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let old = try await BuildFixture.make(db, name: "old")
            let running = try await BuildFixture.make(db, name: "running", finished: false)
            let needed = try await db.changes.addChange(NewChange(author: "ada", revision: "r1"))
            let unneeded = try await db.changes.addChange(NewChange(author: "ada", revision: "r2"))
            let stamp = try #require(try await db.changes.getChange(needed)).sourceStampID
            let (pending, _) = try await db.buildsets.addBuildset(
                reason: "pending", builderids: [try await db.builders.findBuilderId("queued")], sourceStampIDs: [stamp])
            try await db.audit.record(
                user: "ada", source: "test", action: "stop", target: "build \(old.build)", address: nil,
                outcome: "done", detail: nil, at: time.now)
            let oldChunks = try await db.count("logchunks", where: "logid = \(old.log)")
            time.advance(by: 400 * Self.day)
            let recent = try await BuildFixture.make(db, name: "recent")
            try await db.audit.record(
                user: "ada", source: "test", action: "stop", target: "build \(recent.build)", address: nil,
                outcome: "done", detail: nil, at: time.now)

            let report = try await pass(db, Self.year)

            #expect(try await db.builds.getBuild(old.build) == nil)
            #expect(try await db.buildRequests.getBuildRequest(old.request) == nil)
            #expect(try await db.buildsets.getBuildset(old.buildset) == nil)
            for table in ["steps", "build_properties"] {
                #expect(try await db.count(table, where: "buildid = \(old.build)") == 0, "\(table)")
            }
            #expect(try await db.logs.getLog(old.log) == nil)
            #expect(try await db.count("buildset_properties", where: "buildsetid = \(old.buildset)") == 0)
            #expect(try await db.count("buildrequest_claims", where: "brid = \(old.request)") == 0)
            #expect(try #require(try await db.builds.getBuild(running.build)).completeAt == nil)
            #expect(try await db.logs.getLogLines(running.log, first: 0, last: 99) == running.lines)
            #expect(try await db.buildRequests.getBuildRequest(running.request)?.complete == false)
            #expect(try await db.buildsets.getBuildset(pending)?.complete == false)
            #expect(try await db.logs.getLogLines(recent.log, first: 0, last: 99) == recent.lines)
            #expect(try await db.buildsets.getBuildset(recent.buildset) != nil)
            #expect(try await db.changes.getChange(needed) != nil)
            #expect(try await db.changes.getChange(unneeded) == nil)
            #expect(try await db.audit.entries(limit: 10).map(\.target) == ["build \(recent.build)"])
            #expect(report.emptiedLogs == 1)
            #expect(
                report.deleted == [
                    "logchunks": oldChunks, "logs": 1, "steps": 1, "build_properties": 1, "builds": 1,
                    "buildrequest_claims": 1, "buildrequests": 1, "buildset_properties": 1, "buildsets": 1,
                    "changes": 1, "audit_log": 1,
                ])
        }
    }

    @Test(
        "an old change a scheduler still holds classified stays with its classification; a released one goes",
        arguments: TestBackend.enabled)
    func classifiedChanges(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let waiting = try await db.changes.addChange(NewChange(author: "ada", revision: "r1"))
            let released = try await db.changes.addChange(NewChange(author: "ada", revision: "r2"))
            let scheduler = try await db.schedulers.findSchedulerId("tree-stable")
            try await db.schedulers.classifyChanges(scheduler, [waiting: true])
            time.advance(by: 400 * Self.day)

            let report = try await pass(db, Self.year)

            #expect(try await db.changes.getChange(waiting) != nil)
            #expect(try await db.count("scheduler_changes", where: "changeid = \(waiting)") == 1)
            #expect(try await db.changes.getChange(released) == nil)
            #expect(report.deleted["changes"] == 1)
        }
    }

    @Test(
        "a builder whose every build was deleted numbers its next build after the last it had",
        arguments: TestBackend.enabled)
    func numbersGoOn(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            _ = try await BuildFixture.make(db, name: "linux")
            let second = try await BuildFixture.make(db, name: "linux")
            time.advance(by: 400 * Self.day)
            _ = try await pass(db, Self.year)
            #expect(try await db.builds.getBuild(second.build) == nil)

            let third = try await BuildFixture.make(db, name: "linux")
            #expect(try await db.builds.getBuild(third.build)?.number == 3)
        }
    }

    @Test("logs-only retention empties old logs; builds, logs and line counts stay", arguments: TestBackend.enabled)
    func oldLogs(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let old = try await BuildFixture.make(db, name: "old")
            time.advance(by: 40 * Self.day)
            let recent = try await BuildFixture.make(db, name: "recent")

            let report = try await pass(db, Self.month)

            #expect(report.emptiedLogs == 1)
            #expect(Array(report.deleted.keys) == ["logchunks"])
            let log = try #require(try await db.logs.getLog(old.log))
            #expect(log.kind == .deleted && log.numLines == old.lineCount)
            #expect(try await db.logs.getLogLines(old.log, first: 0, last: 99) == "")
            #expect(try await db.builds.getBuild(old.build)?.results == .success)
            #expect(try await db.steps.getSteps(buildid: old.build).count == 1)
            #expect(try await db.logs.getLog(recent.log)?.kind == .stdio)
            #expect(try await db.logs.getLogLines(recent.log, first: 0, last: 99) == recent.lines)
        }
    }

    @Test("each pass empties the logs that grew old since the one before", arguments: TestBackend.enabled)
    func laterPasses(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let first = try await BuildFixture.make(db, name: "first")
            time.advance(by: 20 * Self.day)
            let second = try await BuildFixture.make(db, name: "second")
            time.advance(by: 15 * Self.day)
            var progress = RetentionProgress()
            let retention = db.retention()

            let firstPass = try await retention.deleteOld(Self.month, progress: &progress, fence: nil)
            #expect(firstPass.emptiedLogs == 1)
            #expect(try await db.logs.getLog(second.log)?.kind == .stdio)
            time.advance(by: 20 * Self.day)
            let secondPass = try await retention.deleteOld(Self.month, progress: &progress, fence: nil)
            let thirdPass = try await retention.deleteOld(Self.month, progress: &progress, fence: nil)
            #expect(secondPass.emptiedLogs == 1 && thirdPass.emptiedLogs == 0)
            for fixture in [first, second] {
                #expect(try await db.logs.getLog(fixture.log)?.kind == .deleted)
            }
        }
    }

    @Test(
        "a build whose master's clock lagged, finishing just before the last pass's horizon, is emptied by the next",
        arguments: TestBackend.enabled)
    func laggingClock(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            time.advance(by: 40 * Self.day)
            var progress = RetentionProgress()
            let retention = db.retention()
            _ = try await retention.deleteOld(Self.month, progress: &progress, fence: nil)
            let late = try await BuildFixture.make(db, name: "late")
            let horizon = Int(time.now.timeIntervalSince1970) - 30 * Int(Self.day)
            try await db.execute("UPDATE builds SET complete_at = \(horizon - 600) WHERE id = \(late.build)")

            let next = try await retention.deleteOld(Self.month, progress: &progress, fence: nil)
            #expect(next.emptiedLogs == 1)
            #expect(try await db.logs.getLog(late.log)?.kind == .deleted)
        }
    }

    @Test("batches smaller than the data still delete all of it", arguments: TestBackend.enabled)
    func smallBatches(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            // Five builds that finished in the same second, each with seven chunks: batches of two split both.
            for number in 0..<5 { _ = try await BuildFixture.make(db, name: "b\(number)", chunks: 7) }
            let chunks = try await db.count("logchunks")
            time.advance(by: 400 * Self.day)

            let report = try await pass(
                db, RetentionSettings(logs: .seconds(30 * 86_400), builds: .seconds(365 * 86_400)), batchSize: 2)

            #expect(report.emptiedLogs == 5)
            #expect(report.deleted["logchunks"] == chunks)
            #expect(report.deleted["builds"] == 5 && report.deleted["buildsets"] == 5 && report.deleted["logs"] == 5)
            for table in [
                "builds", "steps", "logs", "logchunks", "build_properties", "buildsets", "buildrequests",
                "buildrequest_claims", "buildset_properties",
            ] {
                #expect(try await db.count(table) == 0, "\(table)")
            }
        }
    }

    @Test("a pass made on a claim that is no longer current writes nothing", arguments: TestBackend.enabled)
    func deposed(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let old = try await BuildFixture.make(db, name: "old")
            let chunks = try await db.count("logchunks")
            time.advance(by: 400 * Self.day)
            let claims = db.claims(.janitor)
            let janitor = try await claims.findServiceId("janitor")
            let stale = try await claims.claim(janitor, masterid: try await db.masters.findMasterId("first"))
            try await claims.unclaim(stale)
            try await claims.claim(janitor, masterid: try await db.masters.findMasterId("second"))

            let refused = await #expect(throws: GantryError.self) {
                var progress = RetentionProgress()
                return try await db.retention().deleteOld(
                    RetentionSettings(logs: .seconds(30 * 86_400), builds: .seconds(365 * 86_400)),
                    progress: &progress, fence: stale)
            }

            #expect(refused?.code == .fenced)
            #expect(try await db.count("logchunks") == chunks)
            #expect(try await db.logs.getLog(old.log)?.kind == .stdio)
            #expect(try await db.builds.getBuild(old.build) != nil)
        }
    }

    @Test("a stopped master's janitor claim is released for another master to take", arguments: TestBackend.enabled)
    func claimReleased(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let claims = db.claims(.janitor)
            let janitor = try await claims.findServiceId("janitor")
            let first = try await db.masters.findMasterId("first")
            try await db.masters.masterActive(first)
            try await claims.claim(janitor, masterid: first)
            let second = try await db.masters.findMasterId("second")
            await #expect(throws: GantryError.self) { try await claims.claim(janitor, masterid: second) }

            _ = try await db.masters.masterStopped(first)

            #expect(try await db.count("janitor_masters") == 0)
            #expect(try await claims.claim(janitor, masterid: second).masterID == second)
        }
    }
}
