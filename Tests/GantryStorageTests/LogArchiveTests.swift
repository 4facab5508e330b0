import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryStorage

@Suite("Log storage in files: finished logs settled out of the database", .paced, .timeLimit(.minutes(3)))
struct LogArchiveTests {
    let time = ManualWallClock()

    @Test(
        "a log settled into a file reads, searches and streams as before, and leaves no chunk in the database",
        arguments: TestBackend.enabled)
    func archived(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await withArchiveDirectory { directory in
                var lines = LogFixture.buildOutput(6000, seed: 21)
                lines[4321] = "eERROR: the needle"
                let text = LogFixture.text(lines)
                let log = try await finishedLog(db, lines, by: 10)
                #expect(try await db.count("logchunks", where: "logid = \(log)") > 1, "a finished log waits to settle")

                let settled = try await db.logs.settleLog(log, storage: .files(directory: directory))
                guard case .archived(let path) = settled else {
                    Issue.record("settled as \(settled)")
                    return
                }
                #expect(path.hasPrefix(directory + "/\(log)-") && path.hasSuffix(".log"))
                #expect(
                    try FileManager.default.contentsOfDirectory(atPath: directory) == [
                        (path as NSString).lastPathComponent
                    ])
                #expect(try await db.count("logchunks", where: "logid = \(log)") == 0)
                let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
                #expect(size * 4 < text.utf8.count, "\(size) bytes in the file for \(text.utf8.count) of text")

                #expect(try await db.logs.getLogLines(log, first: 0, last: 5999) == text)
                #expect(
                    try await db.logs.getLogLines(log, first: 2500, last: 2510) == LogFixture.text(lines[2500...2510]))
                #expect(try await db.logs.getLogLines(log, first: 5990, last: 9000) == LogFixture.text(lines[5990...]))
                #expect(try await db.logs.getLogLines(log, first: 6000, last: 9000) == "")
                let part = try await db.logs.getLogLines(log, first: 10, last: 5999, maxBytes: 5_000)
                #expect(part.utf8.count <= 5_000 && LogFixture.text(lines[10...]).hasPrefix(part))
                var streamed = ""
                try await db.logs.withLines(log) { streamed += $0 }
                #expect(streamed == text)
                #expect(try await search(db, log, "NEEDLE", from: 0) == 4321)
                #expect(try await search(db, log, "needle", from: 5999, direction: .previous) == 4321)
                #expect(try await search(db, log, "needle", from: 4321) == nil)
                let tail = try await db.withTransaction { sql in
                    try await LogsConnector.lines(log, first: 5998, last: 5999, in: sql)
                }
                #expect(tail == LogFixture.text(lines[5998...]))

                #expect(try await db.logs.settleLog(log, storage: .files(directory: directory)) == .unchanged)
                #expect(try await db.logs.settleLog(log, storage: .database) == .unchanged)
            }
        }
    }

    @Test(
        "a reader across the move into a file gets every line exactly once; an empty log is archived too",
        arguments: TestBackend.enabled)
    func readDuringMove(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await withArchiveDirectory { directory in
                let lines = LogFixture.buildOutput(2000, seed: 22)
                let log = try await finishedLog(db, lines, by: 5)
                var read = ""
                var reads = 0
                try await db.logs.withLines(log) { piece in
                    read += piece
                    reads += 1
                    if reads == 1 {
                        let settled = try await db.logs.settleLog(log, storage: .files(directory: directory))
                        #expect(settled != .unchanged)
                    }
                }
                #expect(reads > 2)
                #expect(read == LogFixture.text(lines))

                let empty = try await LogFixture.newLog(db)
                try await db.logs.finishLog(empty)
                let settled = try await db.logs.settleLog(empty, storage: .files(directory: directory))
                #expect(settled != .unchanged)
                #expect(try await db.logs.getLogLines(empty, first: 0, last: 10) == "")
            }
        }
    }

    @Test(
        "masters settling one log at once keep a single archive, and every line reads once",
        arguments: TestBackend.enabled)
    func concurrent(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await withArchiveDirectory { directory in
                let lines = LogFixture.buildOutput(3000, seed: 23)
                let log = try await finishedLog(db, lines, by: 20)
                let outcomes = try await withThrowingTaskGroup(of: LogsConnector.Settlement.self) { group in
                    for _ in 0..<3 {
                        group.addTask { try await db.logs.settleLog(log, storage: .files(directory: directory)) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.contains { if case .archived = $0 { true } else { false } })
                let files = try FileManager.default.contentsOfDirectory(atPath: directory)
                #expect(files.count == 1, "\(files)")
                #expect(try await db.logs.getLogLines(log, first: 0, last: 2999) == LogFixture.text(lines))
                #expect(try await db.count("logchunks", where: "logid = \(log)") == 0)
            }
        }
    }

    @Test(
        "only finished, unsettled logs wait, those of this master's builds and of masters no longer active",
        arguments: TestBackend.enabled)
    func waiting(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let mine = try await BuildFixture.make(db, name: "mine")
            let running = try await db.logs.addLog(stepid: mine.step, name: "running", kind: .stdio)
            try await db.logs.finishLog(mine.log)
            let other = try await db.masters.findMasterId("other")
            _ = try await db.masters.setMasterState(other, active: true)
            let builder = try await db.builders.findBuilderId("theirs")
            let (_, requests) = try await db.buildsets.addBuildset(reason: "theirs", builderids: [builder])
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: try #require(requests[builder]), workerid: nil, masterid: other)
            let step = try await db.steps.addStep(buildid: build.id, name: "test")
            let theirs = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
            try await db.logs.finishLog(theirs)

            #expect(try await db.logs.logsToSettle(masterid: mine.master, limit: 10) == [mine.log])
            #expect(try await db.logs.logsToSettle(masterid: mine.master, after: mine.log, limit: 10) == [])
            #expect(try await db.logs.logsToSettle(masterid: other, limit: 10) == [theirs])
            _ = try await db.masters.setMasterState(other, active: false)
            #expect(try await db.logs.logsToSettle(masterid: mine.master, limit: 10) == [mine.log, theirs])
            _ = try await db.logs.settleLog(mine.log, storage: .database)
            #expect(try await db.logs.logsToSettle(masterid: mine.master, limit: 10) == [theirs])
            #expect(try await db.logs.settleLog(running, storage: .database) == .unchanged, "not finished")
        }
    }

    @Test("a missing or damaged archive is a clear error naming the log, never a crash", arguments: TestBackend.enabled)
    func damaged(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await withArchiveDirectory { directory in
                let log = try await finishedLog(db, LogFixture.buildOutput(3000, seed: 24), by: 50)
                guard case .archived(let path) = try await db.logs.settleLog(log, storage: .files(directory: directory))
                else {
                    Issue.record("not archived")
                    return
                }
                let whole = try Data(contentsOf: URL(fileURLWithPath: path))
                let damages: [(String, Data)] = [
                    ("cut short", whole.prefix(whole.count - 3)),
                    ("trailer only", whole.suffix(26)),
                    ("a chunk's bytes changed", Self.flipping(whole, at: 40)),
                    ("a chunk's codec changed", Self.flipping(whole, at: whole.count - 27)),
                    ("the index's offset out of range", Self.flipping(whole, at: whole.count - 26)),
                    ("empty", Data()),
                ]
                for (damage, data) in damages {
                    try data.write(to: URL(fileURLWithPath: path))
                    let error = await #expect(throws: GantryError.self, "\(damage)") {
                        _ = try await db.logs.getLogLines(log, first: 0, last: 2999)
                    }
                    #expect(error?.code == .corruptState, "\(damage)")
                    #expect(error?.message.contains("log \(log)") == true, "\(damage): \(String(describing: error))")
                }
                try FileManager.default.removeItem(atPath: path)
                let missing = await #expect(throws: GantryError.self) {
                    try await db.logs.withLines(log) { _ in }
                }
                #expect(missing?.message.contains("archive of log \(log)") == true)
            }
        }
    }

    @Test(
        "the janitor removes the archives of the logs it empties and of the builds it deletes",
        arguments: TestBackend.enabled)
    func retention(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            try await withArchiveDirectory { directory in
                let emptied = try await BuildFixture.make(db, name: "emptied")
                try await db.logs.finishLog(emptied.log)
                _ = try await db.logs.settleLog(emptied.log, storage: .files(directory: directory))
                time.advance(by: 40 * 86_400)
                let recent = try await BuildFixture.make(db, name: "recent")
                try await db.logs.finishLog(recent.log)
                _ = try await db.logs.settleLog(recent.log, storage: .files(directory: directory))
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 2)

                var progress = RetentionProgress()
                let report = try await db.retention().deleteOld(
                    RetentionSettings(logs: .seconds(30 * 86_400)), progress: &progress, fence: nil)
                #expect(report.emptiedLogs == 1 && report.removedArchives == 1, "\(report)")
                let left = try FileManager.default.contentsOfDirectory(atPath: directory)
                #expect(left.count == 1 && left.first?.hasPrefix("\(recent.log)-") == true)
                #expect(try await db.logs.getLogLines(emptied.log, first: 0, last: 9) == "")
                #expect(try await db.logs.getLogLines(recent.log, first: 0, last: 9) == recent.lines)

                time.advance(by: 400 * 86_400)
                var later = RetentionProgress()
                let deleted = try await db.retention().deleteOld(
                    RetentionSettings(builds: .seconds(365 * 86_400)), progress: &later, fence: nil)
                #expect(deleted.removedArchives == 1, "\(deleted)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
            }
        }
    }

    /// A new log of `lines`, appended `by` lines at a time, and finished.
    private func finishedLog(_ db: Database, _ lines: [String], by count: Int) async throws -> Int {
        let log = try await LogFixture.newLog(db)
        try await LogFixture.append(lines, to: log, by: count, db)
        try await db.logs.finishLog(log)
        return log
    }

    private func search(
        _ db: Database, _ log: Int, _ text: String, from line: Int, direction: LogsConnector.SearchDirection = .next
    ) async throws -> Int? {
        try await db.logs.searchLog(log, kind: .stdio, for: text, from: line, direction: direction)
    }

    private static func flipping(_ data: Data, at place: Int) -> Data {
        var data = data
        data[data.startIndex + place] ^= 0xFF
        return data
    }

    /// A new directory for archives, removed with what it holds once `body` is done.
    private func withArchiveDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gantry-archives-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory)
    }
}
