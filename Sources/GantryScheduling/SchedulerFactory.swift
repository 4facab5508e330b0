public import GantryCluster
public import GantryConfig
public import GantryStorage
public import Logging

/// Turns configured schedulers into the behaviours a master runs.
public struct SchedulerFactory: Sendable {
    let database: Database
    let clock: any Clock<Duration>
    let logger: Logger

    public init(database: Database, clock: any Clock<Duration>, logger: Logger) {
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    public func make(_ config: SchedulerConfig) -> any ClusteredServiceBehavior {
        switch config.kind {
        case .periodic(let interval):
            PeriodicScheduler(
                options: config.options, interval: interval, database: database, clock: clock, logger: logger)
        case .singleBranch(let settings):
            branch(config, .singleBranch, settings)
        case .anyBranch(let settings):
            branch(config, .anyBranch, settings)
        case .nightly(let settings):
            NightlyScheduler(
                options: config.options, schedule: settings.schedule, onlyIfChanged: settings.onlyIfChanged,
                consumption: settings.consumption, forceAt: settings.forceAt, database: database, clock: clock,
                logger: logger)
        case .dependent(let upstream):
            DependentScheduler(
                options: config.options, upstream: upstream, database: database, clock: clock, logger: logger)
        case .force(let parameters):
            ForceScheduler(options: config.options, parameters: parameters, database: database, logger: logger)
        }
    }

    private func branch(_ config: SchedulerConfig, _ mode: BranchScheduler.Mode, _ settings: BranchSettings)
        -> BranchScheduler
    {
        BranchScheduler(
            options: config.options,
            mode: mode,
            consumption: settings.consumption,
            treeStableTimer: settings.treeStableTimer,
            database: database,
            clock: clock,
            logger: logger
        )
    }
}
