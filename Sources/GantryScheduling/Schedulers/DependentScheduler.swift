import Foundation
public import GantryCluster
public import GantryModel
import GantryStorage
import Logging

/// Buildbot's `Dependent`: when a buildset of the upstream scheduler completes with SUCCESS or WARNINGS, a
/// buildset for the same sourcestamps.
///
/// The upstream buildsets still awaited are kept in the scheduler's state (`upstream_bsids`), and the downstream
/// buildset is added in the same transaction that drops its upstream id, so a completion is acted on exactly
/// once even across failover. Upstream buildsets that no longer exist are pruned. Unlike Buildbot, which watches
/// only while active, upstream buildsets added while no master ran this scheduler are picked up too
/// (`upstream_position`).
public struct DependentScheduler: ClusteredServiceBehavior, ContextualScheduler {
    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    /// The upstream scheduler's name.
    public let upstream: String
    public let context: SchedulerContext

    public init(
        options: SchedulerOptions,
        upstream: String,
        context: SchedulerContext
    ) {
        self.options = options
        self.upstream = upstream
        self.context = context
    }

    public var name: String { options.name }

    /// Buildbot's reason unless one is configured.
    public var reason: String { options.reason ?? "downstream" }

    public func runWhileActive(fence: ClaimFence) async {
        let run = DependentRun(scheduler: self, fence: fence)
        await loop.run(on: [.buildrequestsNew, .buildsetsComplete]) { try await run.step() }
    }
}

/// One activation of a ``DependentScheduler``.
private actor DependentRun {
    static let awaitedKey = "upstream_bsids"
    static let positionKey = "upstream_position"

    let scheduler: DependentScheduler
    let fence: ClaimFence
    var ids: (object: Int, upstream: Int)?

    init(scheduler: DependentScheduler, fence: ClaimFence) {
        self.scheduler = scheduler
        self.fence = fence
    }

    private var database: Database { scheduler.database }

    /// Notes new upstream buildsets, then acts on those that completed.
    func step() async throws -> Date? {
        let (objectID, upstreamID) = try await prepare()
        var awaited = Set(
            try await database.state.getState(objectID, Self.awaitedKey, default: []).elements
                .compactMap(\.integer))
        let position = try await database.state.getState(objectID, Self.positionKey).integer ?? 0
        let fresh = try await database.buildsets.getBuildsets(schedulerid: upstreamID, after: position)
        if let newest = fresh.last?.id {
            awaited.formUnion(fresh.map(\.id))
            try await save(awaited, objectID: objectID)
            try await database.state.setState(objectID, Self.positionKey, .number(Double(newest)), fence: fence)
        }
        for bsid in awaited.sorted() {
            let upstream = try await database.buildsets.getBuildset(bsid)
            guard upstream?.complete != false else { continue }
            awaited.remove(bsid)
            guard let upstream, upstream.results == .success || upstream.results == .warnings else {
                try await save(awaited, objectID: objectID)
                continue
            }
            var request = BuildsetAdder.Request(fence: fence, reason: scheduler.reason)
            let remaining = awaited
            request.state = { _ in [StateWrite(objectID: objectID, key: Self.awaitedKey, value: Self.json(remaining))] }
            _ = try await scheduler.adder
                .addBuildsetForSourceStamps(request, sourceStamps: upstream.sourceStampIDs.map { .id($0) })
        }
        return nil
    }

    /// The state object and the upstream scheduler's id; a scheduler that never ran starts after the newest
    /// upstream buildset.
    private func prepare() async throws -> (Int, Int) {
        if let ids { return ids }
        let objectID = try await database.state.getObjectId(scheduler.name, className: "Dependent")
        let upstreamID = try await database.schedulers.findSchedulerId(scheduler.upstream)
        if try await database.state.getState(objectID, Self.positionKey, default: nil) == .null {
            let newest = try await database.buildsets.getBuildsets(schedulerid: upstreamID).last?.id ?? 0
            try await database.state.setState(objectID, Self.positionKey, .number(Double(newest)), fence: fence)
        }
        ids = (objectID, upstreamID)
        return (objectID, upstreamID)
    }

    private func save(_ awaited: Set<Int>, objectID: Int) async throws {
        try await database.state.setState(objectID, Self.awaitedKey, Self.json(awaited), fence: fence)
    }

    private static func json(_ ids: Set<Int>) -> JSONValue {
        .array(ids.sorted().map { .number(Double($0)) })
    }
}
