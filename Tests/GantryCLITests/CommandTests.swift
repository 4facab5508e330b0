import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("gantry commands", .paced)
struct CommandTests {
    @Test("upgrade-master creates the schema, is a no-op the second time, and forces housekeeping")
    func upgradeMasterSQLite() async throws {
        try await withTemporaryDirectory { directory in
            let url = "sqlite:\(directory)/gantry.sqlite"
            let first = try await GantryProcess.run(["upgrade-master", "--db", url])
            #expect(first.status == 0)
            #expect(first.standardOutput == "schema upgraded from version 0 to \(Migrator.latestVersion)\n")

            try await Database.withDatabase(DatabaseURL(parsing: url), logger: silentLogger) { db in
                let id = try await db.masters.findMasterId("host:/base")
                try await db.masters.setMasterState(id, active: false)
            }
            let second = try await GantryProcess.run(["upgrade-master", "--db", url])
            #expect(second.status == 0)
            #expect(second.standardOutput == "schema is current (version \(Migrator.latestVersion))\n")

            let masters = try await GantryProcess.run(["masters", "--db", url, "--json"])
            let decoded = try JSONDecoder().decode(MastersEnvelope.self, from: Data(masters.standardOutput.utf8))
            #expect(decoded.meta.total == 1)
            #expect(decoded.masters.map(\.active) == [true])
            #expect(decoded.masters.map(\.lastActive) == [Date(timeIntervalSince1970: 0)])
        }
    }

    @Test("upgrade-master and masters on PostgreSQL", .enabled(if: TestBackend.postgresURL != nil))
    func upgradeMasterPostgres() async throws {
        let server = try DatabaseURL(parsing: try #require(TestBackend.postgresURL))
        try await withTestSchema(server) { url in
            let plain = url.textWithPassword
            let upgrade = try await GantryProcess.run(["upgrade-master", "--db", plain])
            #expect(upgrade.status == 0, "\(upgrade.standardError)")
            try await Database.withDatabase(url, logger: silentLogger) { db in
                _ = try await db.masters.findMasterId("one:/m")
            }
            let table = try await GantryProcess.run(["masters", "--db", plain])
            #expect(table.status == 0)
            let lines = table.standardOutput.split(separator: "\n")
            #expect(lines.first?.hasPrefix("ID  NAME    ACTIVE  LAST ACTIVE") == true)
            #expect(lines.dropFirst().first?.contains("one:/m  no") == true)
        }
    }

    @Test("workers prints the fixture as a table and as JSON, with filters")
    func workers() async throws {
        try await withTemporaryDirectory { directory in
            let url = "sqlite:\(directory)/gantry.sqlite"
            let (master, builder) = try await Database.withDatabase(DatabaseURL(parsing: url), logger: silentLogger) {
                db in
                try await Migrator(db).migrate()
                let master = try await db.masters.findMasterId("m")
                let builder = try await db.builders.findBuilderId("b")
                try await db.builders.updateBuilderList(master, builderids: [builder])
                let linux = try await db.workers.findWorkerId("linux")
                _ = try await db.workers.findWorkerId("idle")
                try await db.workers.workerConfigured(linux, masterid: master, builderids: [builder])
                try await db.workers.workerConnected(linux, masterid: master, workerInfo: ["os": "linux"])
                try await db.workers.setWorkerPaused(linux, paused: true, pauseReason: "disk full")
                return (master, builder)
            }
            let table = try await GantryProcess.run(["workers", "--db", url])
            #expect(table.status == 0)
            let configured = "\(builder)@\(master)".padding(toLength: 30, withPad: " ", startingAt: 0)
            #expect(
                table.standardOutput == """
                    ID  NAME   STATE               CONFIGURED ON (builder@master)  CONNECTED TO
                    1   linux  paused (disk full)  \(configured)  \(master)
                    2   idle   ready

                    """
            )

            let filtered = try await GantryProcess.run(["workers", "--db", url, "--master", "\(master)", "--json"])
            let decoded = try JSONDecoder().decode(WorkersEnvelope.self, from: Data(filtered.standardOutput.utf8))
            #expect(decoded.workers.map(\.name) == ["linux"])
            #expect(decoded.workers.first?.workerInfo == ["os": "linux"])
            #expect(decoded.workers.first?.connectedTo == [master])
            #expect(decoded.meta.total == 1)

            let none = try await GantryProcess.run(["workers", "--db", url, "--builder", "\(builder + 1)", "--json"])
            #expect(
                try JSONDecoder().decode(WorkersEnvelope.self, from: Data(none.standardOutput.utf8)).workers.isEmpty)
        }
    }

    @Test(
        "every failure is one clear line on stderr and a non-zero exit",
        arguments: [
            (["masters", "--db", "mysql://x"], "invalid database URL 'mysql://x'"),
            (
                ["masters", "--db", "postgres://u:hunter2@127.0.0.1/"],
                "invalid database URL 'postgres://u:****@127.0.0.1/': no database name"
            ),
            (
                ["masters", "--db", "postgres://u:hunter2@127.0.0.1:1/db?sslmode=disable"],
                "cannot connect to postgres://u:****@127.0.0.1:1/db"
            ),
            (["masters", "--db", "sqlite:/nonexistent/dir/x.sqlite"], "cannot open sqlite:/nonexistent/dir/x.sqlite"),
            (["workers", "--db", "sqlite::memory:"], "run 'gantry upgrade-master' first"),
        ]
    )
    func failures(_ arguments: [String], _ expected: String) async throws {
        let outcome = try await GantryProcess.run(arguments)
        #expect(outcome.status != 0)
        #expect(outcome.standardError.hasPrefix("Error: "))
        #expect(outcome.standardError.contains(expected), "\(outcome.standardError)")
        #expect(!outcome.standardError.contains("hunter2"))
        #expect(outcome.standardOutput.isEmpty)
        #expect(outcome.standardError.split(separator: "\n").count == 1)
    }

    @Test("a master on 0.0.0.0 without auth refuses to start, and says how to allow it")
    func openMasterRefused() async throws {
        try await withTemporaryDirectory { directory in
            let config = "\(directory)/open.yaml"
            try "http: 0.0.0.0:0\n".write(toFile: config, atomically: true, encoding: .utf8)
            let outcome = try await GantryProcess.run(["master", "--config", config])
            #expect(outcome.status != 0)
            #expect(outcome.standardError.contains("add an 'auth' section"), "\(outcome.standardError)")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/gantry.sqlite"))
        }
    }

    @Test("a malformed option is named first, followed by the usage")
    func usageError() async throws {
        let outcome = try await GantryProcess.run(["workers", "--db", "sqlite::memory:", "--master", "x"])
        #expect(outcome.status == 64)
        #expect(outcome.standardError.hasPrefix("Error: The value 'x' is invalid for '--master <master>'"))
    }

    @Test("a database from a newer Gantry is refused and left alone")
    func newerSchema() async throws {
        try await withTemporaryDirectory { directory in
            let url = "sqlite:\(directory)/gantry.sqlite"
            try await Database.withDatabase(DatabaseURL(parsing: url), logger: silentLogger) { db in
                try await Migrator(db).migrate()
                try await db.execute(
                    "INSERT INTO gantry_migrations (version, summary, applied_at) VALUES (\(Migrator.latestVersion + 1), 'future', 0)"
                )
            }
            for command in ["upgrade-master", "masters"] {
                let outcome = try await GantryProcess.run([command, "--db", url])
                #expect(outcome.status != 0)
                #expect(outcome.standardError.contains("newer than this Gantry's \(Migrator.latestVersion)"))
            }
        }
    }
}

private struct MastersEnvelope: Decodable {
    struct Meta: Decodable { var total: Int }
    var masters: [Master]
    var meta: Meta
}

private struct WorkersEnvelope: Decodable {
    struct Meta: Decodable { var total: Int }
    var workers: [Worker]
    var meta: Meta
}

/// Runs `body` with a new empty directory, removed afterwards.
private func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}
