import Foundation
import GantryStorage
import GantryTesting
import Testing

/// Runs `body` with a migrated, empty PostgreSQL schema and a directory for the masters' files.
func withCluster(_ body: (DatabaseURL, URL) async throws -> Void) async throws {
    let server = try DatabaseURL(parsing: try #require(TestBackend.postgresURL))
    try await withTestSchema(server) { url in
        _ = try await Database.withDatabase(url, logger: silentLogger) { db in try await Migrator(db).migrate() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(url, directory)
    }
}
