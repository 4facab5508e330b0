package import GantryCluster
package import GantryConfig
import GantryModel
import GantryScheduling
package import GantryStorage
package import Logging

/// Turns configured schedulers into the behaviours a master runs.
package struct SchedulerFactory: Sendable {
    let context: SchedulerContext

    package init(database: Database, clock: any Clock<Duration>, logger: Logger) {
        self.context = SchedulerContext(database: database, clock: clock, logger: logger)
    }

    package func make(_ config: SchedulerConfig) -> any ClusteredServiceBehavior {
        let options = config.options
        switch config.kind {
        case .periodic(let interval):
            return PeriodicScheduler(options: options, interval: interval, context: context)
        case .singleBranch(let settings):
            return branch(config, .singleBranch, settings)
        case .anyBranch(let settings):
            return branch(config, .anyBranch, settings)
        case .nightly(let settings):
            return NightlyScheduler(
                options: options, schedule: settings.schedule, onlyIfChanged: settings.onlyIfChanged,
                consumption: settings.consumption, forceAt: settings.forceAt,
                createAbsoluteSourceStamps: settings.createAbsoluteSourceStamps, context: context)
        case .dependent(let upstream):
            return DependentScheduler(options: options, upstream: upstream, context: context)
        case .force(let parameters):
            return ForceScheduler(options: options, parameters: parameters, context: context)
        case .triggerable:
            return TriggerableScheduler(options: options, context: context)
        case .nightlyTriggerable(let schedule):
            return NightlyTriggerableScheduler(options: options, schedule: schedule, context: context)
        }
    }

    private func branch(_ config: SchedulerConfig, _ mode: BranchScheduler.Mode, _ settings: BranchSettings)
        -> BranchScheduler
    {
        BranchScheduler(
            options: config.options, mode: mode, consumption: settings.consumption,
            treeStableTimer: settings.treeStableTimer, createAbsoluteSourceStamps: settings.createAbsoluteSourceStamps,
            context: context)
    }
}
