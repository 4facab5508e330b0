import GantryModel
public import GantryStorage
public import Logging

/// What every scheduler runs with: the database, the clock its polls and retries sleep on, and its logger.
public struct SchedulerContext: Sendable {
    public let database: Database
    public let clock: any Clock<Duration>
    /// How often a scheduler looks for work when no notification woke it.
    public let poll: Duration
    /// How long a failed step waits before it is tried again (and a disabled scheduler between looks).
    public let retryDelay: Duration
    public let logger: Logger

    public init(
        database: Database,
        clock: any Clock<Duration>,
        poll: Duration = .seconds(30),
        retryDelay: Duration = .seconds(5),
        logger: Logger
    ) {
        self.database = database
        self.clock = clock
        self.poll = poll
        self.retryDelay = retryDelay
        self.logger = logger
    }
}

/// A scheduler that runs with a ``SchedulerContext``.
protocol ContextualScheduler {
    var options: SchedulerOptions { get }
    var context: SchedulerContext { get }
}

extension ContextualScheduler {
    var database: Database { context.database }
    var logger: Logger { context.logger }

    /// The loop that runs the scheduler's steps.
    var loop: SchedulerLoop { SchedulerLoop(context: context) }

    /// The scheduler's way of adding buildsets.
    var adder: BuildsetAdder { BuildsetAdder(options: options, database: database, logger: logger) }
}
