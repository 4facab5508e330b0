import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("gantry cleanupdb", .paced)
struct CleanupDBCommandTests {
    /// The count of `table` in a `cleanupdb` table: the number ending the line that starts with its name.
    private func deleted(_ table: String, in output: String) -> Int? {
        output.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == table }
            .flatMap { $0.split(separator: " ").last }.flatMap { Int($0) }
    }

    @Test("the configured retention, then --builds: old logs, then old builds go; the SQLite file shrinks")
    func endToEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-cleanupdb-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gantry.sqlite").path
        let url = try DatabaseURL(parsing: "sqlite:\(path)")
        // Stored at the manual clock's start, in 2012: older than any horizon. The recent build is stored now.
        let clock = ManualWallClock()
        let (old, recent) = try await Database.withDatabase(url, clock: clock.clock, logger: silentLogger) { db in
            try await Migrator(db).migrate()
            let old = try await BuildFixture.make(db, name: "old")
            // Lines that compress no better than output does, so their space shows in the file's size.
            let noise = (0..<50_000).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) + "\n" }
            try await db.logs.appendLog(old.log, noise.joined())
            clock.set(Date())
            let recent = try await BuildFixture.make(db, name: "recent")
            return (old, recent)
        }
        let config = directory.appendingPathComponent("master.yaml").path
        try "retention: {logs: 30d}\n".write(toFile: config, atomically: true, encoding: .utf8)

        let size = { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let before = size()

        let logsOnly = try await GantryProcess.run(["cleanupdb", "--config", config])
        #expect(logsOnly.status == 0, "\(logsOnly.standardError)")
        #expect(logsOnly.standardOutput.hasPrefix("TABLE "))
        #expect((deleted("logchunks", in: logsOnly.standardOutput) ?? 0) > 0)
        #expect(deleted("builds", in: logsOnly.standardOutput) == 0)
        #expect(logsOnly.standardOutput.contains("emptied the lines of 1 logs; the pass took "))
        #expect(logsOnly.standardOutput.contains("compacted the SQLite database (VACUUM) in "))
        #expect(size() < before, "the file is \(size()) bytes, \(before) before the old log was emptied")

        // A horizon on the command line replaces the configuration's: `--logs` alone deletes no build.
        try "retention: {builds: 30d}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let replaced = try await GantryProcess.run(["cleanupdb", "--config", config, "--logs", "30d"])
        #expect(replaced.status == 0, "\(replaced.standardError)")
        #expect(deleted("builds", in: replaced.standardOutput) == 0)

        let builds = try await GantryProcess.run(["cleanupdb", "--db", "sqlite:\(path)", "--builds", "30d"])
        #expect(builds.status == 0, "\(builds.standardError)")
        #expect(deleted("builds", in: builds.standardOutput) == 1)
        #expect(deleted("buildsets", in: builds.standardOutput) == 1)

        try await Database.withDatabase(url, logger: silentLogger) { (db: Database) async throws in
            #expect(try await db.builds.getBuild(old.build) == nil)
            #expect(try await db.logs.getLogLines(recent.log, first: 0, last: 99) == recent.lines)
        }
    }

    @Test(
        "refused with a clear reason: nothing to delete, both sources or neither, or a horizon that is no duration",
        arguments: [
            (["cleanupdb", "--db", "sqlite::memory:"], "nothing to delete"),
            (["cleanupdb", "--builds", "30d"], "give either --config or --db"),
            (["cleanupdb", "--db", "sqlite::memory:", "--config", "x.yaml", "--logs", "1d"], "give either"),
            (["cleanupdb", "--db", "sqlite::memory:", "--logs", "0d"], "--logs must be a positive duration"),
            (["cleanupdb", "--db", "sqlite::memory:", "--builds", "a year"], "--builds must be a positive duration"),
        ])
    func refused(_ arguments: [String], _ reason: String) async throws {
        let outcome = try await GantryProcess.run(arguments)
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains(reason), "\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
    }
}
