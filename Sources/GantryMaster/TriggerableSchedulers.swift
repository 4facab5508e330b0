import GantryBuilds
import GantryCluster
import GantryModel
import GantryScheduling
import Synchronization

/// The Triggerable and NightlyTriggerable schedulers Trigger steps reach, replaced whole on reload. Any master
/// can trigger: the buildset is written fenced by the claim of the master running the scheduler.
final class TriggerableSchedulers: BuildTriggers {
    private let schedulers: Mutex<[String: any ClusteredServiceBehavior]>

    init(_ schedulers: [any ClusteredServiceBehavior]) {
        self.schedulers = Mutex(Self.triggerable(schedulers))
    }

    func replace(with schedulers: [any ClusteredServiceBehavior]) {
        let named = Self.triggerable(schedulers)
        self.schedulers.withLock { $0 = named }
    }

    func trigger(
        scheduler name: String, sourceStamps: [SourceStamp], properties: [String: JSONValue], wait: Bool,
        parent: BuildsetParent, added: @Sendable ([Int]) async -> Void
    ) async throws -> BuildResult? {
        let request = TriggerRequest(
            sourceStamps: sourceStamps.map {
                BuildsetAdder.PartialSourceStamp(
                    codebase: $0.codebase, repository: $0.repository, branch: $0.branch, revision: $0.revision,
                    project: $0.project)
            }, properties: properties, waitedFor: wait, parent: parent)
        switch schedulers.withLock({ $0[name] }) {
        case let scheduler as TriggerableScheduler:
            let buildset = try await scheduler.trigger(request)
            await added(Array(buildset.requestIDs.values))
            return wait ? try await scheduler.results(of: buildset).results : nil
        case let scheduler as NightlyTriggerableScheduler:
            try await scheduler.trigger(request)
            return nil
        default:
            throw GantryError(.notFound, "'\(name)' is not a triggerable scheduler")
        }
    }

    private static func triggerable(_ schedulers: [any ClusteredServiceBehavior]) -> [String:
        any ClusteredServiceBehavior]
    {
        var named: [String: any ClusteredServiceBehavior] = [:]
        for scheduler in schedulers where scheduler is TriggerableScheduler || scheduler is NightlyTriggerableScheduler
        {
            named[scheduler.name] = named[scheduler.name] ?? scheduler
        }
        return named
    }
}
