import Foundation
public import GantryCluster
public import GantryModel
import GantryStorage
import Logging

/// Buildbot's `Periodic`: a buildset for its builders every `interval`.
///
/// The time of the last build is kept in the scheduler's state (`last_build`, epoch seconds) and written in the
/// same fenced transaction as the buildset, so a master that took the scheduler over continues the schedule,
/// a missed time builds at once, and a deposed master can never add a second buildset for a period.
public struct PeriodicScheduler: ClusteredServiceBehavior, ContextualScheduler {
    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    public let interval: Duration
    public let context: SchedulerContext

    public init(
        options: SchedulerOptions,
        interval: Duration,
        context: SchedulerContext
    ) {
        self.options = options
        self.interval = interval
        self.context = context
    }

    public var name: String { options.name }

    /// Buildbot's default reason unless one is configured.
    public var reason: String { options.reason ?? "The Periodic scheduler named '\(name)' triggered this build" }

    /// Builds on schedule until deactivated. A database error (the server restarted, the connection dropped)
    /// is logged and the schedule resumes after the context's `retryDelay`; only losing the claim ends it.
    public func runWhileActive(fence: ClaimFence) async {
        while !Task.isCancelled {
            do {
                try await buildOnSchedule(fence: fence)
            } catch is CancellationError {
                return
            } catch let error as GantryError where error.code == .fenced {
                logger.warning("periodic build refused: this master no longer holds the scheduler")
                return
            } catch {
                logger.error("periodic scheduler failed; retrying", metadata: [LogKey.error: "\(error)"])
                guard (try? await context.clock.sleep(for: context.retryDelay)) != nil else { return }
            }
        }
    }

    private func buildOnSchedule(fence: ClaimFence) async throws {
        let objectID = try await database.state.getObjectId(name, className: "PeriodicScheduler")
        while !Task.isCancelled {
            let wait = try await timeUntilNextBuild(objectID)
            if wait > .zero { try await context.clock.sleep(for: wait) }
            // Disabled: no build; a time missed meanwhile builds once it is enabled again.
            guard try await database.schedulers.getScheduler(fence.serviceID)?.enabled != false else {
                try await context.clock.sleep(for: context.retryDelay)
                continue
            }
            // The actuation runs to its end even when deactivation cancels this task meanwhile: deactivation
            // awaits it, and it is one transaction that either lands whole or not at all.
            try await Task { try await actuate(fence: fence, objectID: objectID) }.value
        }
    }

    /// Zero when a build is due now (never built, or the time was missed).
    private func timeUntilNextBuild(_ objectID: Int) async throws -> Duration {
        guard case .number(let last) = try await database.state.getState(objectID, "last_build", default: nil) else {
            return .zero
        }
        let next = last + interval.timeInterval
        let remaining = next - database.clock.now().timeIntervalSince1970
        return remaining > 0 ? .milliseconds(Int64((remaining * 1000).rounded(.up))) : .zero
    }

    private func actuate(fence: ClaimFence, objectID: Int) async throws {
        var request = BuildsetAdder.Request(fence: fence, reason: reason)
        request.state = { now in
            [
                StateWrite(
                    objectID: objectID, key: "last_build", value: .number(now.timeIntervalSince1970.rounded(.down)))
            ]
        }
        _ = try await adder.addBuildsetForSourceStampsWithDefaults(request, sourceStamps: [])
    }
}
