import GantryModel
import Logging
import PostgresNIO

extension Database {
    /// Whether a process's session tells its peers at once that it is gone (PostgreSQL ends the session of a
    /// dead process, and its session locks with it); SQLite has one master, and no peer to tell.
    public var tracksSessions: Bool { dialect == .postgres }

    /// Holds PostgreSQL's session-level advisory lock (`key1`, `key2`) on a connection of its own until the task
    /// is cancelled, taking it again at once whenever that connection is lost. `changed` is told `true` each
    /// time it is taken and `false` each time it is lost. Returns at once on SQLite.
    ///
    /// While another session holds the lock (a previous process of the same master whose host vanished), it
    /// tries again every second and says so; TCP keepalives on the lock's own connection make the server end a
    /// vanished client's session within about 11 s rather than hours.
    func holdSessionLock(_ key1: Int32, _ key2: Int32, changed: @Sendable (Bool) -> Void) async {
        guard case .postgres(let location) = url else { return }
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try Self.connectionConfiguration(location)
        } catch {
            logger.error(
                "session lock not taken: no connection can be configured",
                metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"])
            return
        }
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 1, logger: logger)
                do {
                    _ = try await connection.query(
                        "SELECT set_config('tcp_keepalives_idle', '5', false), set_config('tcp_keepalives_interval', '2', false), set_config('tcp_keepalives_count', '3', false)",
                        logger: logger
                    ).collect()
                    try await takeLock(key1, key2, on: connection)
                    failures = 0
                    changed(true)
                    defer { changed(false) }
                    // The lock lasts as long as the session: a lost connection must be noticed to take it again.
                    while !Task.isCancelled {
                        try await Task.sleep(for: .milliseconds(500))
                        _ = try await connection.query("SELECT 1", logger: logger).collect()
                    }
                } catch {
                    // The lock's error is the one reported; the connection is dropped, however that goes.
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()  // cancelled; a connection that fails to close is gone already
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning(
                    "session lock lost; taking it again", metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"]
                )
                // At once the first time (a blip must not leave the lock free for long), then every second.
                if failures > 1 { try? await Task.sleep(for: .seconds(1)) }
            }
        }
    }

    /// Takes the lock, trying every second while another session holds it.
    private func takeLock(_ key1: Int32, _ key2: Int32, on connection: PostgresConnection) async throws {
        var attempts = 0
        while true {
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(\(key1), \(key2)) AS taken", logger: logger)
            for try await (taken) in rows.decode(Bool.self) where taken { return }
            attempts += 1
            if attempts == 1 || attempts % 30 == 0 {
                logger.warning("another session holds this master's session lock (an earlier process of it?); waiting")
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
