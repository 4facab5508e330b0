import GantryModel
import SQLKit

/// Brings a database's schema up to the version this Gantry knows, one recorded step at a time.
public struct Migrator: Sendable {
    /// Every migration, in order. Append only.
    static let history: [Migration] = [
        .initial, .claimsAndBuildsets, .changesAndSourceStamps, .buildsAndLogs, .control, .poolClaims, .poolEvents,
        .logBytes, .events, .authentication, .reporters, .logCompression, .stepDetails, .collapsedRequests, .locks,
        .retention, .logArchives, .buildsetLineage, .requestQueues, .poolInstances,
    ]

    /// The schema version this Gantry writes.
    public static var latestVersion: Int { history.count }

    private let database: Database

    public init(_ database: Database) {
        self.database = database
    }

    /// The version the database is at; 0 for an empty database.
    public func currentVersion() async throws -> Int {
        // It waits for a migration in progress, which has no time limit either.
        try await database.withTransaction(timeLimit: nil) { sql in try await lockedVersion(sql) }
    }

    /// Applies every missing migration, all in one transaction: another master starting meanwhile sees the
    /// schema either untouched or current, never half upgraded. A no-op when the schema is current.
    ///
    /// - Returns: The versions before and after.
    /// - Throws: `GantryError.schemaTooNew` when the database was written by a newer Gantry; nothing is changed then.
    @discardableResult
    public func migrate() async throws -> (from: Int, to: Int) {
        // DDL on a big database may take long: no time limit here.
        let applied = try await database.withTransaction(timeLimit: nil) {
            sql -> (start: Int, migrations: [Migration]) in
            let start = try await lockedVersion(sql)
            try Self.refuseNewer(start)
            let missing = Self.history.filter { $0.version > start }
            for migration in missing {
                for statement in migration.statements(database.dialect) {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.insert(into: "gantry_migrations")
                    .columns("version", "summary", "applied_at")
                    .values(
                        SQLBind(migration.version),
                        SQLBind(migration.summary),
                        SQLBind(Int(database.clock.now().timeIntervalSince1970))
                    )
                    .run()
            }
            return (start, missing)
        }
        for migration in applied.migrations {
            database.logger.info(
                "applied schema migration",
                metadata: [
                    LogKey.schemaVersion: "\(migration.version)", LogKey.schemaSummary: "\(migration.summary)",
                ]
            )
        }
        return (applied.start, Self.latestVersion)
    }

    /// The version, read under the migration lock (held until the transaction ends), so it waits for a
    /// migration in progress; creates the version table of an empty database. Masters starting together on
    /// an empty database would otherwise race in CREATE TABLE IF NOT EXISTS, which PostgreSQL does not make
    /// safe against itself.
    private func lockedVersion(_ sql: any SQLDatabase) async throws -> Int {
        if let lock = database.dialect.migrationLock { try await sql.raw(SQLQueryString(lock)).run() }
        try await createVersionTable(sql)
        return try await readVersion(sql)
    }

    /// Throws unless the schema is exactly at ``latestVersion``: commands other than `upgrade-master`
    /// never work on an old or newer schema.
    public func requireCurrent() async throws {
        let version = try await currentVersion()
        try Self.refuseNewer(version)
        guard version == Self.latestVersion else {
            throw GantryError(
                .schemaOutdated,
                "the database schema is at version \(version), this Gantry needs \(Self.latestVersion); "
                    + "run 'gantry upgrade-master' first"
            )
        }
    }

    private static func refuseNewer(_ version: Int) throws(GantryError) {
        guard version <= latestVersion else {
            throw GantryError(
                .schemaTooNew,
                "the database schema is at version \(version), newer than this Gantry's \(latestVersion); "
                    + "run a newer Gantry"
            )
        }
    }

    private func createVersionTable(_ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            CREATE TABLE IF NOT EXISTS gantry_migrations (
                version INTEGER NOT NULL PRIMARY KEY,
                summary TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )
            """
        ).run()
    }

    private func readVersion(_ sql: any SQLDatabase) async throws -> Int {
        try await sql.select()
            .column(
                SQLFunction("COALESCE", args: SQLFunction("MAX", args: SQLColumn("version")), SQLLiteral.numeric("0")),
                as: "version"
            )
            .from("gantry_migrations")
            .first(decodingColumn: "version", as: Int.self) ?? 0
    }
}
