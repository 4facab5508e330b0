import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Database errors name their cause", .paced, .timeLimit(.minutes(3)))
struct StatementErrorTests {
    @Test("a statement is named by its first keyword and its table, never by its text")
    func statementNames() {
        #expect(StatementError.statement(of: #"INSERT INTO "buildsets" ("reason") VALUES ($1)"#) == "INSERT buildsets")
        #expect(StatementError.statement(of: #"UPDATE "workers" SET "paused" = $1"#) == "UPDATE workers")
        #expect(
            StatementError.statement(of: #"DELETE FROM "scheduler_masters" WHERE "epoch" = $1"#)
                == "DELETE scheduler_masters")
        #expect(
            StatementError.statement(of: #"SELECT "id", (SELECT 1 FROM "x") FROM "masters" WHERE "name" = $1"#)
                == "SELECT masters")
        #expect(StatementError.statement(of: "  select count(*) as n from workers where 1 = 1") == "SELECT workers")
        #expect(StatementError.statement(of: "SELECT pg_notify($1, $2)") == "SELECT")
        #expect(StatementError.statement(of: "SELECT 'a' FROM 'not a table'") == "SELECT")
        #expect(StatementError.statement(of: "COMMIT") == "COMMIT")
        #expect(StatementError.statement(of: "") == "statement")
    }

    @Test("a bound text the server quotes back is masked")
    func masking() {
        #expect(
            StatementError.masking(#"invalid input syntax for type integer: "hunter2""#, binds: ["", "hunter2"])
                == #"invalid input syntax for type integer: "****""#)
    }

    @Test(
        "a PostgreSQL error names the statement, its SQLSTATE and the server's message, never a bound value",
        .enabled(if: TestBackend.postgresURL != nil)
    )
    func serverError() async throws {
        try await withTestDatabase(.postgres) { db in
            let secret = "hunter2-not-a-number"
            let cast = await #expect(throws: StatementError.self) {
                try await db.withTransaction { sql in
                    try await sql.raw("SELECT CAST(\(bind: secret) AS integer) AS n").run()
                }
            }
            let castError = try #require(cast)
            let text = castError.description
            #expect(text.hasPrefix("SELECT failed: SQLSTATE 22P02: invalid input syntax for type integer"), "\(text)")
            #expect(!text.contains(secret), "\(text)")
            #expect(DatabaseFailure.reason(castError) == text)

            try await db.execute("INSERT INTO workers (name) VALUES ('w')")
            let duplicate = await #expect(throws: StatementError.self) {
                try await db.withTransaction { sql in
                    try await sql.raw("INSERT INTO workers (name) VALUES (\(bind: "w"))").run()
                }
            }
            let described = try #require(duplicate).description
            #expect(
                described.hasPrefix(
                    "INSERT workers failed: SQLSTATE 23505: duplicate key value violates unique constraint"),
                "\(described)")
        }
    }

    @Test(
        "a transaction whose session ended before COMMIT is unavailable, names the statement, and wrote nothing",
        .enabled(if: TestBackend.postgresURL != nil)
    )
    func sessionEndedBeforeCommit() async throws {
        try await withTestDatabase(.postgres) { db in
            let error = await #expect(throws: GantryError.self) {
                try await db.withTransaction { sql in
                    try await sql.raw("INSERT INTO workers (name) VALUES ('w')").run()
                    try await sql.raw("SELECT pg_terminate_backend(pg_backend_pid())").run()
                    try await sql.raw("INSERT INTO workers (name) VALUES ('x')").run()
                }
            }
            #expect(error?.code == .databaseUnavailable)
            #expect(error?.message.hasSuffix("; nothing was written") == true, "\(String(describing: error))")
            #expect(error?.message.hasPrefix("SELECT") == true || error?.message.hasPrefix("INSERT") == true)
            let workers = try await db.count("workers")
            #expect(workers == 0)
        }
    }

    @Test(
        "queries sent before run() wait for it, so the PostgreSQL client is never used before it runs",
        .enabled(if: TestBackend.postgresURL != nil)
    )
    func queriesWaitForRun() async throws {
        let url = try DatabaseURL(parsing: try #require(TestBackend.postgresURL))
        let log = LogCapture(level: .warning)
        let db = try await Database.open(url, logger: log.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await db.execute("SELECT 1") }
            // Long enough for the query to reach the client first, were it not held back.
            try await Task.sleep(for: .milliseconds(200))
            group.addTask { await db.run() }
            _ = try await group.next()
            group.cancelAll()
        }
        #expect(!log.messages.contains { $0.contains("run()") }, "\(log.messages)")
    }
}
