import Logging
import PostgresNIO

extension Database {
    /// Whether a process's session tells its peers at once that it is gone (PostgreSQL ends the session of a
    /// dead process, and its session locks with it); SQLite has one master, and no peer to tell.
    public var tracksSessions: Bool { dialect == .postgres }

    /// Holds PostgreSQL's session-level advisory lock (`key1`, `key2`) on a connection of its own until the task
    /// is cancelled, taking it again whenever that connection is lost; `held` is called each time it is taken.
    /// Returns at once on SQLite.
    ///
    /// Taking the lock waits while another session holds it: that session ends with its process.
    func holdSessionLock(_ key1: Int32, _ key2: Int32, held: @Sendable () -> Void) async {
        guard case .postgres(let location) = url, let configuration = try? Self.connectionConfiguration(location)
        else { return }
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 1, logger: logger)
                do {
                    _ = try await connection.query(
                        "SELECT pg_advisory_lock(\(key1), \(key2))", logger: logger
                    ).collect()
                    held()
                    // The lock lasts as long as the session: a lost connection must be noticed to take it again.
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(1))
                        _ = try await connection.query("SELECT 1", logger: logger).collect()
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "session lock lost; taking it again", metadata: ["gantry.error": "\(DatabaseFailure.reason(error))"]
                )
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
