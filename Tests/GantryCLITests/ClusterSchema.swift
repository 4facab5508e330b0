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

/// The start of a cluster master's configuration on fast timings: heartbeat 1 s, expireAfter 3 s, claimPoll 1 s,
/// so a killed master's work moves within seconds; the HTTP API on any free port.
func fastClusterConfig(_ name: String, url: DatabaseURL) -> String {
    """
    name: \(name)
    database: \(url.textWithPassword)
    http: 127.0.0.1:0
    heartbeat: 1s
    expireAfter: 3s
    claimPoll: 1s

    """
}
