import Logging
import NIOCore
import PostgresKit
import SQLKit

/// One transaction on a leased PostgreSQL connection, written so that a connection that dies under it fails the
/// transaction instead of hanging it.
///
/// PostgresNIO 1.33 hands each query to its channel without a write promise: a query written after the server
/// closed the connection (it ended the session of a process that was paused, or it restarted) is never answered
/// and never failed, and the master waiting on it stops checking in. So every statement is issued from the
/// connection's event loop after checking there that the connection is open, and a watchdog closes a connection
/// whose transaction outlives the time limit (a network gone without closing the socket), which fails the query
/// waiting on it. A connection whose ROLLBACK or COMMIT failed is closed: its state is unknown, and the pool must
/// not hand it out again.
///
/// A statement's failure is thrown as a ``StatementError``, or as `GantryError.databaseUnavailable` when the
/// connection failed before COMMIT could land, so callers can tell "nothing was written" from "unknown".
enum PostgresTransaction {
    /// The transaction's BEGIN failed (on a pooled connection that died unnoticed, say): its body never ran, so
    /// the whole call may be made again on another connection.
    struct NotBegun: Error {
        let error: any Error
    }

    /// How many connections one transaction tries whose BEGIN fails.
    static let attempts = 3

    /// - Parameter timeLimit: `nil` for none (schema migrations, whose DDL may take long on a big database).
    static func run<T: Sendable>(
        on connection: PostgresConnection,
        timeLimit: Duration?,
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let watchdog = Task {
            guard let timeLimit, (try? await Task.sleep(for: timeLimit)) != nil else { return }
            logger.warning("a transaction exceeded \(timeLimit); closing its connection")
            // Closing is the point: a connection that fails to close is gone already.
            try? await connection.close()
        }
        defer { watchdog.cancel() }
        let sql = OpenConnectionDatabase(
            connection: connection, base: PlainIdentifierDatabase(base: connection.sql(queryLogLevel: .trace)))
        do {
            try await sql.raw("BEGIN").run()
        } catch {
            throw NotBegun(error: DatabaseFailure.uncommitted(error))
        }
        let result: T
        do {
            result = try await body(sql)
        } catch {
            do {
                try await sql.raw("ROLLBACK").run()
            } catch {
                // The body's error is thrown; a connection that cannot roll back is dropped, however that goes.
                try? await connection.close()
            }
            throw DatabaseFailure.uncommitted(error)
        }
        do {
            try await sql.raw("COMMIT").run()
        } catch {
            // The COMMIT's error is thrown; the connection is dropped, however that goes.
            try? await connection.close()
            throw DatabaseFailure.uncommitted(error)
        }
        return result
    }
}

/// The SQL database of one PostgreSQL connection that refuses to write a statement to a closed connection.
private struct OpenConnectionDatabase: SQLDatabase {
    let connection: PostgresConnection
    let base: any SQLDatabase

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<
        Void
    > {
        // On the event loop, an open channel still has its handler, which answers or fails every query it is
        // given; checked anywhere else, the connection could close between the check and the write.
        connection.eventLoop.flatSubmit { [connection, base] in
            guard !connection.isClosed else {
                return connection.eventLoop.makeFailedFuture(
                    StatementError(closedBeforeSending: base.serialize(query).sql))
            }
            return base.execute(sql: query, onRow).flatMapErrorThrowing { error in
                // Serialized again only on failure, to name the statement and mask its bound texts in the message.
                let (sql, binds) = base.serialize(query)
                throw StatementError(sql: sql, binds: binds, error: error)
            }
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await execute(sql: query, onRow).get()
    }
}
