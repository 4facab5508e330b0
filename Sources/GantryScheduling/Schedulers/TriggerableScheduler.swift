public import GantryCluster
public import GantryModel
import GantryStorage
import Logging

/// Buildbot's `Triggerable`: a buildset whenever a build's Trigger step asks, and that buildset's results once
/// it completes.
///
/// Any master can trigger: the buildset is written fenced by the claim of the master running the scheduler,
/// so it lands only while that claim holds, and a scheduler no master runs refuses with a clear error. The
/// results are read from the database, so a waiter sees its buildset complete whichever master finished it.
/// When the scheduler stops on this master, those still waiting here fail with Buildbot's error.
public struct TriggerableScheduler: ClusteredServiceBehavior, ContextualScheduler {
    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    public let context: SchedulerContext
    let waiters: TriggerWaiters

    public init(options: SchedulerOptions, context: SchedulerContext) {
        self.options = options
        self.context = context
        self.waiters = TriggerWaiters(context: context)
    }

    public var name: String { options.name }

    /// The results of a triggered buildset: its overall result and its request id per builder id.
    public struct Results: Sendable, Hashable {
        public var results: BuildResult
        public var requestIDs: [Int: Int]
    }

    /// Adds the buildset for `request`.
    ///
    /// The reason is Buildbot's: when the request carries properties, their `reason` (even if it has none);
    /// otherwise the configured reason; failing both, the default.
    /// - Throws: `GantryError.notFound` when no master runs the scheduler, `.conflict` when it is disabled,
    ///   `.stopped` when it stopped on this master.
    public func trigger(_ request: TriggerRequest) async throws -> BuildsetAdder.Added {
        try await waiters.requireRunning()
        let fence = try await database.schedulers.runningSchedulerFence(name, description: "triggerable scheduler")
        let reason = request.properties.isEmpty ? options.reason : request.properties["reason"]?.elements.first?.string
        var buildset = BuildsetAdder.Request(
            fence: fence, reason: reason ?? "The Triggerable scheduler named '\(name)' triggered this build")
        buildset.waitedFor = request.waitedFor
        buildset.properties = request.properties
        buildset.parent = request.parent
        return
            try await adder
            .addBuildsetForSourceStampsWithDefaults(buildset, sourceStamps: request.sourceStamps)
    }

    /// Waits for a triggered buildset to complete.
    /// - Throws: `GantryError.stopped` when the scheduler stops on this master first.
    public func results(of added: BuildsetAdder.Added) async throws -> Results {
        let buildset = try await waiters.completed(added.buildsetID)
        return Results(results: buildset.results ?? .success, requestIDs: added.requestIDs)
    }

    /// Whether this master watches for completions (someone waits for results).
    package var isWatchingCompletions: Bool {
        get async { await waiters.isWatching }
    }

    public func stopped() async {
        await waiters.stop(GantryError(.stopped, "Triggerable scheduler stopped before build was complete"))
    }
}
