public import GantryModel
public import Logging
import NIOCore
import NIOPosix
import PostgresKit
public import SQLKit
import SQLiteKit
import Synchronization

/// One Gantry database, SQLite or PostgreSQL, behind one code path.
///
/// Every connector method runs in exactly one ``withTransaction(_:)``. SQLite uses a single connection
/// (WAL, foreign keys on) with one transaction at a time; PostgreSQL uses a connection pool that
/// ``run()`` keeps alive, and its queries wait until ``run()`` has started it.
public final class Database: Sendable {
    /// Where this database lives (its description masks the password).
    public let url: DatabaseURL
    /// The source of "now" for every timestamp the connectors write.
    public let clock: WallClock
    /// Wakes consumers when something they wait for was written, here and on the other masters.
    public let notifier: Notifier
    let dialect: Dialect
    let logger: Logger
    private let backend: Backend
    /// Set by a transaction that recorded feed events, so its COMMIT wakes the event readers here. SQLite runs one
    /// transaction at a time, so one flag serves them all; on PostgreSQL a flag cleared by another transaction's
    /// COMMIT only leaves the wake-up to the readers' poll, as it is a hint.
    let eventsRecorded = Atomic<Bool>(false)

    private enum Backend: Sendable {
        /// The connection, the lock its transactions take turns on, the thread its statements run on, and that
        /// thread as the executor the transactions' own code runs on.
        case sqlite(SQLiteConnection, AsyncLock, NIOThreadPool, ThreadPoolTaskExecutor)
        /// The client and the latch ``run()`` opens as it starts the client.
        case postgres(PostgresClient, Latch)
    }

    private init(url: DatabaseURL, clock: WallClock, logger: Logger, backend: Backend) {
        self.url = url
        self.clock = clock
        self.logger = logger
        self.backend = backend
        switch backend {
        case .sqlite:
            self.dialect = .sqlite
            self.notifier = Notifier(logger: logger)
        case .postgres(let client, let started):
            self.dialect = .postgres
            let channel = Self.notificationChannel(url)
            self.notifier = Notifier(logger: logger) { topic in
                await started.wait()
                try await client.withConnection { connection in
                    try await PostgresTransaction.run(
                        on: connection, timeLimit: Self.transactionTimeLimit, logger: logger
                    ) {
                        sql in
                        try await sql.raw("SELECT pg_notify(\(bind: channel), \(bind: topic.rawValue))").run()
                    }
                }
            }
        }
    }

    /// The NOTIFY channel of the masters sharing this database: one per schema, so clusters in different
    /// schemas of one server do not wake each other.
    static func notificationChannel(_ url: DatabaseURL) -> String {
        guard case .postgres(let location) = url, let schema = location.schema else { return "gantry" }
        return "gantry_\(schema)"
    }

    /// Opens the database at `url`, checking that it can really be reached.
    ///
    /// PostgreSQL needs ``run()`` running while the database is used (queries wait for it to start);
    /// ``withDatabase(_:clock:logger:_:)`` does both.
    /// - Throws: `GantryError.databaseUnavailable` with a one-line reason naming the URL (password masked).
    public static func open(_ url: DatabaseURL, clock: WallClock = .system, logger: Logger) async throws -> Database {
        switch url {
        case .sqlite(let location):
            // A thread of its own: the statements follow one another on a thread that stays awake, where the
            // shared pool handed them from one thread to another (a seventh of a master's CPU per build).
            let thread = NIOThreadPool(numberOfThreads: 1)
            thread.start()
            do {
                let connection = try await openSQLite(location, url: url, thread: thread, logger: logger)
                return Database(
                    url: url, clock: clock, logger: logger,
                    backend: .sqlite(connection, AsyncLock(), thread, ThreadPoolTaskExecutor(thread)))
            } catch {
                try? await thread.shutdownGracefully()
                throw error
            }
        case .postgres(let location):
            try await probePostgres(location, url: url, logger: logger)
            let client = PostgresClient(configuration: postgresConfiguration(location), backgroundLogger: logger)
            return Database(url: url, clock: clock, logger: logger, backend: .postgres(client, Latch()))
        }
    }

    /// Opens the database, runs `body` with it, and closes it, whether `body` returns or throws.
    public static func withDatabase<T: Sendable>(
        _ url: DatabaseURL,
        clock: WallClock = .system,
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Database) async throws -> T
    ) async throws -> T {
        let database = try await open(url, clock: clock, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            do {
                let result = try await body(database)
                try await database.closeSQLite()
                return result
            } catch {
                // The body's error is the one that matters; closing is cleanup.
                try? await database.closeSQLite()
                throw error
            }
        }
    }

    /// Keeps the PostgreSQL pool and the notification listener running until the task is cancelled; returns at
    /// once for SQLite.
    public func run() async {
        guard case .postgres(let client, let started) = backend else { return }
        await withDiscardingTaskGroup { group in
            group.addTask {
                // PostgresClient warns about a connection leased before its run() has started. run() marks the
                // client running before it first suspends, right after this, so the queries let through here,
                // which resume on other threads, find it running.
                started.open()
                await client.run()
            }
            group.addTask { await self.listenForNotifications(client) }
        }
    }

    /// Delivers the cluster's notifications to this process's consumers, listening again after any failure.
    /// Each (re)start of listening wakes every consumer, since anything may have been missed meanwhile.
    private func listenForNotifications(_ client: PostgresClient) async {
        guard case .postgres(_, let started) = backend else { return }
        await started.wait()
        let channel = Self.notificationChannel(url)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        notifier.setListening(true)
                        defer { notifier.setListening(false) }
                        notifier.deliver(nil)
                        for try await notification in notifications {
                            notifier.deliver(NotificationTopic(rawValue: notification.payload))
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug(
                    "notification listener stopped; restarting",
                    metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Closes the SQLite connection; PostgreSQL closes when ``run()`` is cancelled. Its thread stays until the
    /// database is released, so a statement still asked of it fails at once rather than waiting for a thread.
    public func closeSQLite() async throws {
        guard case .sqlite(let connection, let lock, _, _) = backend else { return }
        try await lock.withLock { try await connection.close() }
    }

    /// Ends the SQLite connection's thread.
    deinit {
        if case .sqlite(_, _, let thread, _) = backend { thread.shutdownGracefully { _ in } }
    }

    /// Rewrites an SQLite database without the free space deleted rows left, giving it back to the file system
    /// (`VACUUM`, which runs outside any transaction); a no-op on PostgreSQL, whose autovacuum makes that space
    /// reusable without locking the tables.
    public func compactSQLite() async throws {
        guard case .sqlite(let connection, let lock, _, _) = backend else { return }
        try await lock.withLock { try await connection.sql(queryLogLevel: .trace).raw("VACUUM").run() }
    }

    /// How long a PostgreSQL transaction may run before its connection is closed under it: far above any of
    /// Gantry's own, far below the time a silent master takes to be noticed by people.
    public static let transactionTimeLimit: Duration = .seconds(10)

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    ///
    /// On PostgreSQL, a statement's failure is a ``StatementError`` naming it; a connection that could not be had,
    /// or failed before COMMIT could land, is `GantryError.databaseUnavailable`: nothing was written.
    /// - Parameter timeLimit: On PostgreSQL, the longest the transaction may run before its connection is
    ///   closed (a paused process, a vanished network); `nil` for none.
    public func withTransaction<T: Sendable>(
        timeLimit: Duration? = transactionTimeLimit,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        switch backend {
        case .sqlite(let connection, let lock, _, let executor):
            return try await withTaskExecutorPreference(executor, isolation: isolation) {
                try await sqliteTransaction(connection, lock: lock, executor: executor, isolation: isolation, body)
            }
        case .postgres(let client, let started):
            await started.wait()
            var leased = false
            do {
                var attempt = 1
                while true {
                    do {
                        let result = try await client.withConnection { connection in
                            leased = true
                            return try await PostgresTransaction.run(
                                on: connection, timeLimit: timeLimit, logger: logger, body)
                        }
                        if eventsRecorded.exchange(false, ordering: .relaxed) { notifier.deliver(.events) }
                        return result
                    } catch let notBegun as PostgresTransaction.NotBegun {
                        guard attempt < PostgresTransaction.attempts, !Task.isCancelled else { throw notBegun.error }
                        attempt += 1
                    }
                }
            } catch let error where !leased && !Task.isCancelled {
                throw GantryError(
                    .databaseUnavailable,
                    "no connection to PostgreSQL could be had (\(DatabaseFailure.reason(error))); nothing was written",
                    underlying: error)
            }
        }
    }

    /// A transaction on the SQLite connection, under its lock: `BEGIN IMMEDIATE` takes the single write lock.
    private func sqliteTransaction<T: Sendable>(
        _ connection: SQLiteConnection,
        lock: AsyncLock,
        executor: ThreadPoolTaskExecutor,
        isolation: isolated (any Actor)?,
        _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await lock.withLock {
            let sql = PlainIdentifierDatabase(base: connection.sql(queryLogLevel: .trace))
            try await sql.raw("BEGIN IMMEDIATE").run()
            let result: T
            do {
                result = try await body(sql)
            } catch {
                await Self.finishUncancelled(sql, "ROLLBACK", on: executor)
                eventsRecorded.store(false, ordering: .relaxed)
                throw error
            }
            // SQLiteNIO drops the queries of a cancelled task; the transaction must end either way, or the
            // connection's next BEGIN fails.
            if let failure = await Self.finishUncancelled(sql, "COMMIT", on: executor) {
                await Self.finishUncancelled(sql, "ROLLBACK", on: executor)
                eventsRecorded.store(false, ordering: .relaxed)
                throw failure
            }
            if eventsRecorded.exchange(false, ordering: .relaxed) { notifier.deliver(.events) }
            return result
        }
    }

    /// Runs `body`, a read that needs no transaction, where it is cheapest: on SQLite alone under the connection's
    /// lock, without BEGIN and COMMIT; on PostgreSQL in a transaction of its own. That is a single statement, which
    /// sees one consistent state either way; several that read only rows that never change once written (a
    /// buildset's properties and source stamps, a builder's id and name); or a hint that a later write checks
    /// again (the queue's heads, which a claim takes only while still waiting).
    public func withStatement<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        guard case .sqlite(let connection, let lock, _, let executor) = backend else {
            return try await withTransaction(isolation: isolation, body)
        }
        return try await withTaskExecutorPreference(executor, isolation: isolation) {
            try await lock.withLock {
                try await body(PlainIdentifierDatabase(base: connection.sql(queryLogLevel: .trace)))
            }
        }
    }

    /// Runs COMMIT or ROLLBACK in a task of its own, which the caller's cancellation does not reach, on the
    /// connection's thread like the rest of the transaction.
    /// - Returns: The statement's error, if it failed.
    @discardableResult
    private static func finishUncancelled(
        _ sql: any SQLDatabase, _ statement: String, on executor: ThreadPoolTaskExecutor
    ) async -> (any Error)? {
        let finish = Task(executorPreference: executor) { try await sql.raw(SQLQueryString(statement)).run() }
        do {
            try await finish.value
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Opening

    private static func openSQLite(
        _ location: DatabaseURL.SQLiteLocation,
        url: DatabaseURL,
        thread: NIOThreadPool,
        logger: Logger
    ) async throws -> SQLiteConnection {
        let storage: SQLiteConnection.Storage =
            switch location {
            case .memory: .memory
            case .file(let path): .file(path: path)
            }
        do {
            let connection = try await SQLiteConnection.open(
                storage: storage, threadPool: thread, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
            let sql = connection.sql(queryLogLevel: .trace)
            try await sql.raw("PRAGMA foreign_keys = ON").run()
            try await sql.raw("PRAGMA busy_timeout = 10000").run()
            if case .file = location {
                try await sql.raw("PRAGMA journal_mode = WAL").run()
                try await sql.raw("PRAGMA synchronous = NORMAL").run()
            }
            return connection
        } catch {
            throw GantryError(.databaseUnavailable, "cannot open \(url): \(error)", underlying: error)
        }
    }

    private static func postgresConfiguration(_ location: DatabaseURL.PostgresLocation) -> PostgresClient.Configuration
    {
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.user,
            password: location.password,
            database: location.database,
            tls: tls(location.tls)
        )
        // Gantry's transactions are short and never wait on a person. A master that is paused (SIGSTOP, a
        // frozen VM) in the middle of one would otherwise keep its row locks and block the peers expiring it.
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", "5s")]
        if let schema = location.schema {
            configuration.options.additionalStartupParameters.append(("search_path", schema))
        }
        return configuration
    }

    private static func tls(_ mode: DatabaseURL.PostgresLocation.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// Connects once, so a wrong address or password fails now with a clear message instead of a pool
    /// that retries forever.
    private static func probePostgres(
        _ location: DatabaseURL.PostgresLocation,
        url: DatabaseURL,
        logger: Logger
    ) async throws {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try connectionConfiguration(location), id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw GantryError(
                .databaseUnavailable, "cannot connect to \(url): \(DatabaseFailure.reason(error))", underlying: error)
        }
    }

    /// A connection of its own, outside the pool, to the server of `location`.
    static func connectionConfiguration(
        _ location: DatabaseURL.PostgresLocation
    ) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.user,
            password: location.password,
            database: location.database,
            tls: try connectionTLS(location.tls)
        )
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    private static func connectionTLS(
        _ mode: DatabaseURL.PostgresLocation.TLSMode
    ) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(try .init(configuration: .makeClientConfiguration()))
        case .require: .require(try .init(configuration: .makeClientConfiguration()))
        }
    }
}

/// A dump of anything holding the database shows where it lives (password masked), never the PostgreSQL client,
/// whose configuration holds the password.
extension Database: CustomReflectable {
    public var customMirror: Mirror { Mirror(self, children: ["url": url], displayStyle: .class) }
}
