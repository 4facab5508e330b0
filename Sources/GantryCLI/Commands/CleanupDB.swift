import ArgumentParser
import Foundation
import GantryCommandLine
import GantryConfig
import GantryModel
import GantryStorage

extension GantryCommand {
    /// `gantry cleanupdb`: one retention pass now (Buildbot's `cleanupdb`), then an SQLite database compacted.
    struct CleanupDB: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cleanupdb",
            abstract: "Delete what the retention settings no longer keep, once, then compact an SQLite database.",
            discussion: """
                Runs one pass of the janitor that masters with 'retention' run every interval: the lines of the \
                logs of builds finished before the logs' horizon go, then the builds finished before the builds' \
                horizon, with their steps, logs and properties, the buildsets and changes nothing needs any more, \
                audit entries and settled reports. Nothing unfinished is touched, and masters may keep running. \
                The horizons are the configuration's 'retention'; with --logs or --builds, only the horizons given apply. An \
                SQLite database is then compacted (VACUUM), which gives the space back to the file system; it \
                holds the database while it rewrites it, so stop the master first when the database is big.
                """
        )

        @Option(help: "A master's YAML configuration file: its database and its 'retention'.")
        var config: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "The database, instead of a configuration file: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB.",
                valueName: "url"))
        var db: String?

        @Option(help: "How long the lines of finished builds' logs are kept, such as 30d.")
        var logs: String?

        @Option(help: "How long finished builds, and what goes with them, are kept, such as 365d.")
        var builds: String?

        func validate() throws {
            guard (config == nil) != (db == nil) else {
                throw ValidationError("give either --config or --db")
            }
            for (option, text) in [("--logs", logs), ("--builds", builds)] {
                if let text, Self.horizon(text) == nil {
                    throw ValidationError("\(option) must be a positive duration such as 30d or 12h, not '\(text)'")
                }
            }
        }

        func run() async throws {
            var url = db ?? ""
            var settings = RetentionSettings()
            if let config {
                do {
                    let loaded = try ConfigLoader.load(file: config)
                    url = loaded.database
                    // Horizons given on the command line replace the configuration's, so `--logs` alone never
                    // also deletes builds by the configured `builds`.
                    if logs == nil, builds == nil { settings = loaded.retention ?? settings }
                } catch let error as ConfigError {
                    throw CommandFailure(error.description)
                }
            }
            if let logs { settings.logs = Self.horizon(logs) }
            if let builds { settings.builds = Self.horizon(builds) }
            guard settings.logs != nil || settings.builds != nil else {
                throw CommandFailure("nothing to delete: no 'retention' in the configuration, no --logs, no --builds")
            }
            let retention = settings
            let clock = ContinuousClock()
            let (report, passTime, compactionTime) = try await DatabaseOptions.withDatabase(url, migrating: false) {
                database in
                var progress = RetentionProgress()
                let started = clock.now
                let report = try await database.retention().deleteOld(retention, progress: &progress, fence: nil)
                let passed = clock.now
                try await database.compactSQLite()
                var compacted: Duration?
                if case .sqlite = database.url { compacted = passed.duration(to: clock.now) }
                return (report, started.duration(to: passed), compacted)
            }
            var table = TextTable("TABLE", "DELETED")
            for name in RetentionReport.tables { table.append(name, "\(report.deleted[name] ?? 0)") }
            print(table.rendered)
            print("emptied the lines of \(report.emptiedLogs) logs; the pass took \(Self.seconds(passTime))")
            if let compactionTime { print("compacted the SQLite database (VACUUM) in \(Self.seconds(compactionTime))") }
        }

        /// A horizon given on the command line: a positive duration, in days or the configuration's units.
        static func horizon(_ text: String) -> Duration? {
            DurationText.parse(text, days: true).flatMap { $0 > .zero ? $0 : nil }
        }

        /// `1.2 s`.
        private static func seconds(_ duration: Duration) -> String {
            String(format: "%.1f s", duration.timeInterval)
        }
    }
}
