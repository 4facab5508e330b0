import Foundation
public import GantryModel
public import GantryStorage

/// Runs `body` with two databases open on one fresh, migrated store of `backend`, as two masters have them, then
/// throws the store away: an SQLite file, or a new PostgreSQL schema.
public func withSharedTestDatabase<T: Sendable>(
    _ backend: TestBackend,
    clock: WallClock = .system,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (_ first: Database, _ second: Database) async throws -> T
) async throws -> T {
    switch backend {
    case .sqlite:
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-\(UUID().uuidString).sqlite"
        ).path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        return try await withTwoDatabases(.sqlite(.file(path: path)), clock: clock, body)
    case .postgres:
        guard let text = TestBackend.postgresURL else {
            throw GantryError(.databaseUnavailable, "GANTRY_TEST_POSTGRES_URL is not set")
        }
        return try await withTestSchema(DatabaseURL(parsing: text)) { url in
            try await withTwoDatabases(url, clock: clock, body)
        }
    }
}

/// Opens `url` twice, migrated, for `body`.
private func withTwoDatabases<T: Sendable>(
    _ url: DatabaseURL,
    clock: WallClock,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (_ first: Database, _ second: Database) async throws -> T
) async throws -> T {
    try await Database.withDatabase(url, clock: clock, logger: silentLogger) { first in
        try await Migrator(first).migrate()
        return try await Database.withDatabase(url, clock: clock, logger: silentLogger) { second in
            try await body(first, second)
        }
    }
}
