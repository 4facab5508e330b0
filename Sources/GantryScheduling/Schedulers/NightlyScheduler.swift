import Foundation
public import GantryCluster
public import GantryModel
import GantryStorage
import Logging

/// Buildbot's `Nightly`: a buildset at the times of a cron schedule, in the schedule's time zone.
///
/// The time of the last build (`last_build`) is kept in the scheduler's state, so a master taking the scheduler
/// over continues the schedule and a missed time builds at once. With `onlyIfChanged`, accepted changes are
/// classified as they arrive and a time with no important change since the last build is skipped (its time
/// still recorded), unless it is the scheduler's first build, the setting was just switched on
/// (`last_only_if_changed`), or `forceAt` matches. A build takes every classified change; with none, each
/// codebase's defaults.
public struct NightlyScheduler: ClusteredServiceBehavior, ContextualScheduler {
    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    public let schedule: CronSchedule
    public let onlyIfChanged: Bool
    /// Times that build even when `onlyIfChanged` finds nothing new.
    public let forceAt: CronSchedule?
    /// Buildbot's `createAbsoluteSourceStamps`: each codebase is built at the last revision seen on it.
    public let createAbsoluteSourceStamps: Bool
    let consumer: ChangeConsumer
    public let context: SchedulerContext

    public init(
        options: SchedulerOptions,
        schedule: CronSchedule,
        onlyIfChanged: Bool = false,
        consumption: ChangeConsumption = ChangeConsumption(),
        forceAt: CronSchedule? = nil,
        createAbsoluteSourceStamps: Bool = false,
        context: SchedulerContext
    ) {
        self.options = options
        self.schedule = schedule
        self.onlyIfChanged = onlyIfChanged
        self.forceAt = forceAt
        self.createAbsoluteSourceStamps = createAbsoluteSourceStamps
        self.consumer = ChangeConsumer(
            consumption: consumption, codebases: Set(options.codebases.keys), logger: context.logger)
        self.context = context
    }

    public var name: String { options.name }

    /// Changes are read only when they can matter, as in Buildbot.
    var consumesChanges: Bool { onlyIfChanged || createAbsoluteSourceStamps }

    /// Buildbot's default reason unless one is configured.
    public var reason: String { options.reason ?? "The Nightly scheduler named '\(name)' triggered this build" }

    public func runWhileActive(fence: ClaimFence) async {
        let run = NightlyRun(scheduler: self, fence: fence, activatedAt: database.clock.now())
        await loop.run { try await run.step() }
    }
}

/// One activation of a ``NightlyScheduler``.
private actor NightlyRun {
    static let lastOnlyIfChangedKey = "last_only_if_changed"

    let scheduler: NightlyScheduler
    let fence: ClaimFence
    /// The base of the schedule for a scheduler that never built.
    let activatedAt: Date
    var objectID: Int?
    var feed: ChangeFeed?
    var position = 0
    var absolute: AbsoluteSourceStamps?

    init(scheduler: NightlyScheduler, fence: ClaimFence, activatedAt: Date) {
        self.scheduler = scheduler
        self.fence = fence
        self.activatedAt = activatedAt
    }

    private var database: Database { scheduler.database }

    /// Reads new changes, builds when a time has come (or was missed); returns the next time.
    func step() async throws -> Date? {
        let objectID = try await prepare()
        if let feed { try await consume(feed) }
        let timer = CronTimer(schedule: scheduler.schedule, database: database, logger: scheduler.logger)
        switch try await timer.check(objectID: objectID, fence: fence, activatedAt: activatedAt) {
        case .wait(let until):
            return until
        case .due(let due, let firstBuild):
            try await actuate(objectID: objectID, due: due, firstBuild: firstBuild)
            return timer.next()
        }
    }

    private func prepare() async throws -> Int {
        if let objectID { return objectID }
        let objectID = try await database.state.getObjectId(scheduler.name, className: "Nightly")
        if scheduler.consumesChanges {
            let feed = ChangeFeed(database: database, objectID: objectID, fence: fence)
            position = try await feed.start()
            if scheduler.createAbsoluteSourceStamps {
                absolute = try await AbsoluteSourceStamps.load(objectID: objectID, database: database)
            }
            self.feed = feed
        } else {
            try await database.schedulers.flushChangeClassifications(fence.serviceID)
        }
        self.objectID = objectID
        return objectID
    }

    private func consume(_ feed: ChangeFeed) async throws {
        while true {
            let changes = try await feed.changes(after: position)
            guard let last = changes.last else { return }
            var classified: [Int: Bool] = [:]
            var seen = absolute
            for change in changes {
                guard let important = scheduler.consumer.classify(change) else { continue }
                classified[change.id] = important
                seen?.record(change)
            }
            let alongside = seen.map { [$0.write(objectID: feed.objectID)] } ?? []
            try await database.schedulers.classifyChanges(
                fence.serviceID, classified, fence: fence, state: [feed.position(last.id)] + alongside)
            (position, absolute) = (last.id, seen)
        }
    }

    private func actuate(objectID: Int, due: Date, firstBuild: Bool) async throws {
        let lastOnlyIfChanged = try await database.state.getState(objectID, Self.lastOnlyIfChangedKey, default: true)
        let classified =
            scheduler.consumesChanges ? try await database.schedulers.getChangeClassifications(fence.serviceID) : [:]
        let skip =
            lastOnlyIfChanged == .bool(true) && scheduler.onlyIfChanged && !classified.values.contains(true)
            && !firstBuild && !(scheduler.forceAt?.matches(due) ?? false)
        if skip {
            let record = CronTimer.recordBuild(objectID: objectID, at: database.clock.now())
            try await database.state.setState(objectID, record.key, record.value, fence: fence)
        } else {
            let adder = scheduler.adder
            var request = BuildsetAdder.Request(fence: fence, reason: scheduler.reason)
            request.state = { now in [CronTimer.recordBuild(objectID: objectID, at: now)] }
            request.recordedCodebases = absolute?.defaults ?? [:]
            if classified.isEmpty {
                _ = try await adder.addBuildsetForSourceStampsWithDefaults(request, sourceStamps: [])
            } else {
                request.consumedChangeIDs = classified.keys.sorted()
                _ = try await adder.addBuildsetForChanges(request, changeIDs: request.consumedChangeIDs)
            }
        }
        try await database.state.setState(
            objectID, Self.lastOnlyIfChangedKey, .bool(scheduler.onlyIfChanged), fence: fence)
    }
}
