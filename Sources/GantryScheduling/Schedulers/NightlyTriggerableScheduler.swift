import Foundation
public import GantryCluster
public import GantryModel
import GantryStorage
import Logging

/// Buildbot's `NightlyTriggerable`: a Trigger step only records what to build; at the next time of the cron
/// schedule the last recorded trigger is built once.
///
/// The trigger is kept in the scheduler's state (`lastTrigger`), written fenced by the claim of the master
/// running the scheduler, so any master can trigger and a master taking over builds what was recorded. The
/// buildset, the time of the build and the clearing of the trigger are one transaction that fails if a newer
/// trigger arrived meanwhile, so a trigger is built exactly once and never overwritten unbuilt.
public struct NightlyTriggerableScheduler: ClusteredServiceBehavior, ContextualScheduler {
    static let lastTriggerKey = "lastTrigger"
    static let className = "NightlyTriggerable"

    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    public let schedule: CronSchedule
    public let context: SchedulerContext

    public init(
        options: SchedulerOptions,
        schedule: CronSchedule,
        context: SchedulerContext
    ) {
        self.options = options
        self.schedule = schedule
        self.context = context
    }

    public var name: String { options.name }

    /// Buildbot's default reason unless one is configured; the trigger's own reason is not used.
    public var reason: String {
        options.reason ?? "The NightlyTriggerable scheduler named '\(name)' triggered this build"
    }

    /// Records `request` to be built at the next scheduled time, replacing one not yet built. A triggering
    /// build does not wait: the trigger succeeded once it is recorded.
    /// - Throws: `GantryError.notFound` when no master runs the scheduler, `.conflict` when it is disabled.
    public func trigger(_ request: TriggerRequest) async throws {
        let fence = try await database.schedulers.runningSchedulerFence(
            name, description: "nightly triggerable scheduler")
        let objectID = try await database.state.getObjectId(name, className: Self.className)
        try await database.state.setState(objectID, Self.lastTriggerKey, request.json, fence: fence)
    }

    public func runWhileActive(fence: ClaimFence) async {
        let activatedAt = database.clock.now()
        let timer = CronTimer(schedule: schedule, database: database, logger: logger)
        await loop.run(on: []) {
            let objectID = try await database.state.getObjectId(name, className: Self.className)
            switch try await timer.check(objectID: objectID, fence: fence, activatedAt: activatedAt) {
            case .wait(let until):
                return until
            case .due:
                do {
                    try await build(objectID: objectID, fence: fence)
                } catch let error as GantryError where error.code == .conflict {
                    // A trigger arrived while building the previous one: build again with it at once.
                    return database.clock.now()
                }
                return timer.next()
            }
        }
    }

    /// Builds the recorded trigger, if any, and records the time either way.
    private func build(objectID: Int, fence: ClaimFence) async throws {
        let stored = try await database.state.getVersionedState(objectID, Self.lastTriggerKey)
        guard let stored, stored.value != .null else {
            return try await recordTime(objectID: objectID, fence: fence)
        }
        guard let trigger = TriggerRequest(json: stored.value) else {
            logger.warning("the recorded trigger is not in a known format; dropping it")
            try await database.state.setState(
                objectID, Self.lastTriggerKey, .null, expectedVersion: stored.version, fence: fence)
            return try await recordTime(objectID: objectID, fence: fence)
        }
        var request = BuildsetAdder.Request(fence: fence, reason: reason)
        request.properties = trigger.properties
        request.parent = trigger.parent
        request.state = { now in
            [
                CronTimer.recordBuild(objectID: objectID, at: now),
                StateWrite(
                    objectID: objectID, key: Self.lastTriggerKey, value: .null, expectedVersion: stored.version),
            ]
        }
        _ =
            try await adder
            .addBuildsetForSourceStampsWithDefaults(request, sourceStamps: trigger.sourceStamps)
    }

    private func recordTime(objectID: Int, fence: ClaimFence) async throws {
        let record = CronTimer.recordBuild(objectID: objectID, at: database.clock.now())
        try await database.state.setState(objectID, record.key, record.value, fence: fence)
    }
}
