import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Database", .paced)
struct DatabaseTests {
    @Test("migrating twice is a no-op", arguments: TestBackend.enabled)
    func migrateTwice(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let again = try await Migrator(db).migrate()
            #expect(again == (Migrator.latestVersion, Migrator.latestVersion))
            #expect(try await db.count("gantry_migrations") == Migrator.latestVersion)
            try await Migrator(db).requireCurrent()
        }
    }

    @Test(
        "masters migrating an empty PostgreSQL schema at once all succeed, once, and nobody sees it half done",
        .enabled(if: TestBackend.postgresURL != nil)
    )
    func concurrentMigrations() async throws {
        let server = try DatabaseURL(parsing: try #require(TestBackend.postgresURL))
        try await withTestSchema(server) { url in
            // Readers running alongside (a master deciding whether to create the schema) see it empty or
            // current, never half upgraded.
            let seen = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await Database.withDatabase(url, logger: silentLogger) { db in
                            _ = try await Migrator(db).migrate()
                            return []
                        }
                    }
                    group.addTask {
                        try await Database.withDatabase(url, logger: silentLogger) { db in
                            var versions: [Int] = []
                            for _ in 0..<5 { versions.append(try await Migrator(db).currentVersion()) }
                            return versions
                        }
                    }
                }
                return try await group.reduce(into: Set<Int>()) { $0.formUnion($1) }
            }
            #expect(seen.isSubset(of: [0, Migrator.latestVersion]), "\(seen)")
            let (version, applied) = try await Database.withDatabase(url, logger: silentLogger) { db in
                (try await Migrator(db).currentVersion(), try await db.count("gantry_migrations"))
            }
            #expect(version == Migrator.latestVersion)
            #expect(applied == Migrator.latestVersion)
        }
    }

    @Test("a newer schema is refused and nothing is changed", arguments: TestBackend.enabled)
    func newerSchema(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await db.execute(
                "INSERT INTO gantry_migrations (version, summary, applied_at) VALUES (\(Migrator.latestVersion + 1), 'x', 0)"
            )
            let error = await #expect(throws: GantryError.self) { try await Migrator(db).migrate() }
            #expect(error?.code == .schemaTooNew)
            #expect(try await db.count("gantry_migrations") == Migrator.latestVersion + 1)
        }
    }

    @Test("an empty database is reported as outdated")
    func outdated() async throws {
        try await Database.withDatabase(.sqlite(.memory), logger: silentLogger) { db in
            let error = await #expect(throws: GantryError.self) { try await Migrator(db).requireCurrent() }
            #expect(error?.code == .schemaOutdated)
        }
    }

    @Test("a failing transaction leaves nothing behind", arguments: TestBackend.enabled)
    func rollback(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            await #expect(throws: (any Error).self) {
                try await db.withTransaction { sql in
                    try await sql.raw("INSERT INTO workers (name) VALUES ('w')").run()
                    try await sql.raw("INSERT INTO workers (name) VALUES ('w')").run()
                }
            }
            let remaining = try await db.count("workers")
            #expect(remaining == 0)
        }
    }

    @Test("foreign keys cascade on both databases", arguments: TestBackend.enabled)
    func cascade(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m")
            let builder = try await db.builders.findBuilderId("b")
            let worker = try await db.workers.findWorkerId("w")
            try await db.builders.updateBuilderList(master, builderids: [builder])
            try await db.workers.workerConfigured(worker, masterid: master, builderids: [builder])
            try await db.workers.workerConnected(worker, masterid: master, workerInfo: [:])
            try await db.execute("DELETE FROM masters")
            #expect(try await db.count("builder_masters") == 0)
            #expect(try await db.count("configured_workers") == 0)
            #expect(try await db.count("connected_workers") == 0)
        }
    }

    @Test("an SQLite file runs in WAL mode and keeps its data across opens")
    func sqliteFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let id = try await Database.withDatabase(.sqlite(.file(path: path)), logger: silentLogger) { db in
            try await Migrator(db).migrate()
            return try await db.masters.findMasterId("m")
        }
        let (again, mode) = try await Database.withDatabase(.sqlite(.file(path: path)), logger: silentLogger) { db in
            (try await db.masters.findMasterId("m"), try await db.journalMode())
        }
        #expect(again == id)
        #expect(mode == "wal")
    }

    @Test("an unreachable PostgreSQL server is a clear error naming the URL without its password")
    func unreachable() async throws {
        let url = DatabaseURL.postgres(
            .init(host: "127.0.0.1", port: 1, user: "u", password: "hunter2", database: "d", tls: .disable))
        let error = await #expect(throws: GantryError.self) {
            try await Database.withDatabase(url, logger: silentLogger) { _ in }
        }
        #expect(error?.code == .databaseUnavailable)
        #expect(error?.message.hasPrefix("cannot connect to postgres://u:****@127.0.0.1:1/d: ") == true)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test("a wrong PostgreSQL password is a clear error", .enabled(if: TestBackend.postgresURL != nil))
    func wrongPassword() async throws {
        guard case .postgres(var location) = try DatabaseURL(parsing: try #require(TestBackend.postgresURL)) else {
            return
        }
        location.password = "definitely-wrong"
        let error = await #expect(throws: GantryError.self) {
            try await Database.withDatabase(.postgres(location), logger: silentLogger) { _ in }
        }
        #expect(error?.message.contains("password authentication failed") == true)
        #expect(error?.message.contains("definitely-wrong") == false)
    }
}

@Suite("Database under cancellation", .paced)
struct DatabaseCancellationTests {
    @Test("a transaction cancelled midway ends cleanly and the next one works", arguments: TestBackend.enabled)
    func cancelled(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let task = Task {
                try await db.withTransaction { sql in
                    try await sql.raw("INSERT INTO workers (name) VALUES ('w')").run()
                    withUnsafeCurrentTask { $0?.cancel() }
                    try await sql.raw("INSERT INTO workers (name) VALUES ('x')").run()
                }
            }
            _ = await task.result
            let id = try await db.workers.findWorkerId("after")
            let names = try await db.workers.getWorkers().map(\.name)
            #expect(names.contains("after"))
            #expect(id > 0)
        }
    }
}

@Suite("Database when the server ends the session", .paced, .timeLimit(.minutes(3)))
struct EndedSessionTests {
    @Test(
        "a transaction whose session the server ended fails instead of hanging, and the next one works",
        .enabled(if: TestBackend.postgresURL != nil)
    )
    func endedSession() async throws {
        try await withTestDatabase(.postgres) { db in
            await #expect(throws: (any Error).self) {
                try await db.withTransaction { sql in
                    let pid = try await sql.raw("SELECT pg_backend_pid() AS pid").first()?.decode(
                        column: "pid", as: Int.self)
                    try await db.execute("SELECT pg_terminate_backend(\(pid ?? 0))")
                    // Let the closed session reach the client first: the query below must not be written to it.
                    try await Task.sleep(for: .milliseconds(300))
                    try await sql.raw("SELECT 1").run()
                }
            }
            try await db.execute("SELECT 1")
        }
    }
}
