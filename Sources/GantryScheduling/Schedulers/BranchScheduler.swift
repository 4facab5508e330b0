import Foundation
public import GantryCluster
public import GantryModel
import GantryStorage
import Logging

/// Buildbot's `SingleBranchScheduler` and `AnyBranchScheduler`: buildsets for the changes they accept.
///
/// Without a tree-stable timer, every important change gets its own buildset at once. With one, each
/// accepted change is classified in `scheduler_changes`; an important change starts or restarts the timer, an
/// unimportant one restarts only a running timer, and when the timer fires one buildset takes every classified
/// change. A single-branch scheduler has one timer; an any-branch scheduler one per codebase, project,
/// repository and branch. Classifications are stored, so a master taking the scheduler over restarts its timers.
public struct BranchScheduler: ClusteredServiceBehavior, ContextualScheduler {
    public enum Mode: String, Sendable {
        case singleBranch = "SingleBranchScheduler"
        case anyBranch = "AnyBranchScheduler"
    }

    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    public let mode: Mode
    public let treeStableTimer: Duration?
    /// Buildbot's `createAbsoluteSourceStamps`: codebases without a change in a buildset are built at the last
    /// revision seen on them rather than at their defaults.
    public let createAbsoluteSourceStamps: Bool
    let consumer: ChangeConsumer
    public let context: SchedulerContext

    /// - Parameters:
    ///   - isImportant: Overrides the file patterns of `consumption` (tests use it to fail on purpose).
    public init(
        options: SchedulerOptions,
        mode: Mode,
        consumption: ChangeConsumption,
        treeStableTimer: Duration?,
        createAbsoluteSourceStamps: Bool = false,
        isImportant: ChangeConsumer.ImportanceCheck? = nil,
        context: SchedulerContext
    ) {
        self.options = options
        self.mode = mode
        self.treeStableTimer = treeStableTimer
        self.createAbsoluteSourceStamps = createAbsoluteSourceStamps
        self.consumer = ChangeConsumer(
            consumption: consumption, codebases: Set(options.codebases.keys), isImportant: isImportant,
            logger: context.logger)
        self.context = context
    }

    public var name: String { options.name }

    /// Buildbot's default reason unless one is configured.
    public var reason: String {
        options.reason ?? "The \(mode.rawValue) scheduler named '\(name)' triggered this build"
    }

    public func runWhileActive(fence: ClaimFence) async {
        let run = BranchSchedulerRun(scheduler: self, fence: fence)
        await loop.run { try await run.step() }
    }
}

/// Which timer a change belongs to.
struct TimerKey: Hashable {
    var codebase: String?
    var project: String?
    var repository: String?
    var branch: String??
}

/// One activation of a ``BranchScheduler``: its read position and running timers.
private actor BranchSchedulerRun {
    let scheduler: BranchScheduler
    let fence: ClaimFence
    let adder: BuildsetAdder
    var feed: ChangeFeed?
    var position = 0
    /// The last change per codebase, as of `position`, when the scheduler records it.
    var absolute: AbsoluteSourceStamps?
    var timers: [TimerKey: Date] = [:]

    init(scheduler: BranchScheduler, fence: ClaimFence) {
        self.scheduler = scheduler
        self.fence = fence
        self.adder = scheduler.adder
    }

    private var database: Database { scheduler.database }

    /// Reads new changes and fires due timers; returns the next timer deadline. While the scheduler is
    /// disabled, changes pass unread and timers stop, as in Buildbot; enabling restarts them from the stored
    /// classifications.
    func step() async throws -> Date? {
        if feed == nil { try await prepare() }
        guard try await database.schedulers.getScheduler(fence.serviceID)?.enabled != false else {
            if let latest = try await database.changes.getLatestChangeid(), latest > position {
                try await feed?.record(latest)
            }
            timers = [:]
            feed = nil
            return nil
        }
        try await consumeNewChanges()
        try await fireDueTimers()
        return timers.values.min()
    }

    /// Without a timer, stale classifications are flushed; with one, they restart the timers.
    private func prepare() async throws {
        let objectID = try await database.state.getObjectId(scheduler.name, className: scheduler.mode.rawValue)
        let feed = ChangeFeed(database: database, objectID: objectID, fence: fence)
        position = try await feed.start()
        if scheduler.createAbsoluteSourceStamps {
            absolute = try await AbsoluteSourceStamps.load(objectID: objectID, database: database)
        }
        guard let treeStableTimer = scheduler.treeStableTimer else {
            try await database.schedulers.flushChangeClassifications(fence.serviceID)
            self.feed = feed
            return
        }
        let classified = try await database.schedulers.getChangeClassifications(fence.serviceID)
        let deadline = database.clock.now().addingTimeInterval(treeStableTimer.timeInterval)
        for change in try await database.changes.getChanges(ids: classified.keys.sorted())
        where classified[change.id] == true {
            timers[key(change)] = deadline
        }
        self.feed = feed
    }

    /// Reads the changes after `position`. What is in memory advances only with what was committed, so a
    /// step that fails halfway is retried from the last change whose outcome is stored.
    private func consumeNewChanges() async throws {
        guard let feed else { return }
        while true {
            let changes = try await feed.changes(after: position)
            guard let last = changes.last else { return }
            var classified: [(Change, Bool)] = []
            var seen = absolute
            for change in changes {
                guard let important = scheduler.consumer.classify(change) else { continue }
                seen?.record(change)
                if scheduler.treeStableTimer != nil {
                    classified.append((change, important))
                } else if important {
                    var request = buildsetRequest(seen)
                    let alongside = seen.map { [$0.write(objectID: feed.objectID)] } ?? []
                    request.state = { _ in [feed.position(change.id)] + alongside }
                    _ = try await adder.addBuildsetForChanges(request, changeIDs: [change.id])
                    (position, absolute) = (change.id, seen)
                }
            }
            let alongside = seen.map { [$0.write(objectID: feed.objectID)] } ?? []
            if let treeStableTimer = scheduler.treeStableTimer {
                try await database.schedulers.classifyChanges(
                    fence.serviceID,
                    Dictionary(classified.map { ($0.0.id, $0.1) }, uniquingKeysWith: { $1 }),
                    fence: fence,
                    state: [feed.position(last.id)] + alongside
                )
                let deadline = database.clock.now().addingTimeInterval(treeStableTimer.timeInterval)
                for (change, important) in classified where important || timers[key(change)] != nil {
                    timers[key(change)] = deadline
                }
            } else if position != last.id {
                try await feed.record(last.id, alongside: alongside)
            }
            (position, absolute) = (last.id, seen)
        }
    }

    private func buildsetRequest(_ absolute: AbsoluteSourceStamps?) -> BuildsetAdder.Request {
        var request = BuildsetAdder.Request(fence: fence, reason: scheduler.reason)
        request.recordedCodebases = absolute?.defaults ?? [:]
        return request
    }

    private func fireDueTimers() async throws {
        let now = database.clock.now()
        for (key, deadline) in timers.sorted(by: { $0.value < $1.value }) where deadline <= now {
            let classified = try await database.schedulers.getChangeClassifications(
                fence.serviceID,
                branch: key.branch,
                repository: key.repository,
                project: key.project,
                codebase: key.codebase
            )
            timers[key] = nil
            let changeIDs = classified.keys.sorted()
            guard !changeIDs.isEmpty else { continue }
            var request = buildsetRequest(absolute)
            request.consumedChangeIDs = changeIDs
            _ = try await adder.addBuildsetForChanges(request, changeIDs: changeIDs)
        }
    }

    private func key(_ change: Change) -> TimerKey {
        switch scheduler.mode {
        case .singleBranch:
            TimerKey()
        case .anyBranch:
            TimerKey(
                codebase: change.codebase, project: change.project, repository: change.repository,
                branch: .some(change.branch))
        }
    }
}
