import Foundation
public import GantryModel
public import GantryStorage
public import Logging

/// The databases a storage test runs on: SQLite always, PostgreSQL when `GANTRY_TEST_POSTGRES_URL` is set.
public enum TestBackend: String, Sendable, CustomStringConvertible, CaseIterable {
    case sqlite
    case postgres

    /// The backends available here, for `@Test(arguments:)`.
    public static var enabled: [TestBackend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The server every PostgreSQL test uses, each in a schema of its own.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["GANTRY_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String { rawValue }
}

/// A logger that drops everything, for tests that do not look at logs.
public let silentLogger = Logger(label: "gantry.test") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` with a fresh, migrated database of `backend`, then throws it away.
///
/// SQLite is an in-memory database; PostgreSQL is a new schema on the test server, dropped afterwards.
public func withTestDatabase<T: Sendable>(
    _ backend: TestBackend,
    clock: WallClock = .system,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Database) async throws -> T
) async throws -> T {
    switch backend {
    case .sqlite:
        return try await Database.withDatabase(.sqlite(.memory), clock: clock, logger: silentLogger) { database in
            try await Migrator(database).migrate()
            return try await body(database)
        }
    case .postgres:
        guard let text = TestBackend.postgresURL else {
            throw GantryError(.databaseUnavailable, "GANTRY_TEST_POSTGRES_URL is not set")
        }
        return try await withTestSchema(DatabaseURL(parsing: text)) { url in
            try await Database.withDatabase(url, clock: clock, logger: silentLogger) { database in
                try await Migrator(database).migrate()
                return try await body(database)
            }
        }
    }
}

/// Runs `body` with the URL of a new, empty PostgreSQL schema, dropped afterwards.
public func withTestSchema<T: Sendable>(
    _ server: DatabaseURL,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (DatabaseURL) async throws -> T
) async throws -> T {
    guard case .postgres(var location) = server else { return try await body(server) }
    let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    try await Database.withDatabase(server, logger: silentLogger) { admin in
        try await admin.execute("CREATE SCHEMA \(schema)")
    }
    location.schema = schema
    do {
        let result = try await body(.postgres(location))
        try await dropSchema(schema, on: server)
        return result
    } catch {
        // The test's error is the one to report; the schema is cleanup.
        try? await dropSchema(schema, on: server)
        throw error
    }
}

private func dropSchema(_ schema: String, on server: DatabaseURL) async throws {
    try await Database.withDatabase(server, logger: silentLogger) { admin in
        try await admin.execute("DROP SCHEMA \(schema) CASCADE")
    }
}
