import Foundation
public import GantryCluster
public import GantryModel
public import GantryStorage
public import Logging

/// Buildbot's `Periodic`: a buildset for its builders every `interval`.
///
/// The time of the last build is kept in the scheduler's state (`last_build`, epoch seconds) and written in the
/// same fenced transaction as the buildset, so a master that took the scheduler over continues the schedule,
/// a missed time builds at once, and a deposed master can never add a second buildset for a period.
public struct PeriodicScheduler: ClusteredServiceBehavior {
    public let kind = ServiceKind.scheduler
    public let options: SchedulerOptions
    public let interval: Duration
    /// How long to wait before trying again after a database error, and between looks while disabled.
    public let retryDelay: Duration
    private let database: Database
    private let clock: any Clock<Duration>
    private let logger: Logger

    public init(
        options: SchedulerOptions,
        interval: Duration,
        retryDelay: Duration = .seconds(5),
        database: Database,
        clock: any Clock<Duration>,
        logger: Logger
    ) {
        self.options = options
        self.interval = interval
        self.retryDelay = retryDelay
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    public var name: String { options.name }

    /// Buildbot's default reason unless one is configured.
    public var reason: String { options.reason ?? "The Periodic scheduler named '\(name)' triggered this build" }

    /// Builds on schedule until deactivated. A database error (the server restarted, the connection dropped)
    /// is logged and the schedule resumes after `retryDelay`; only losing the claim ends it.
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
                guard (try? await clock.sleep(for: retryDelay)) != nil else { return }
            }
        }
    }

    private func buildOnSchedule(fence: ClaimFence) async throws {
        let objectID = try await database.state.getObjectId(name, className: "PeriodicScheduler")
        let adder = BuildsetAdder(options: options, database: database, logger: logger)
        while !Task.isCancelled {
            let wait = try await timeUntilNextBuild(objectID)
            if wait > .zero { try await clock.sleep(for: wait) }
            // Disabled: no build; a time missed meanwhile builds once it is enabled again.
            guard try await database.schedulers.getScheduler(fence.serviceID)?.enabled != false else {
                try await clock.sleep(for: retryDelay)
                continue
            }
            // The actuation runs to its end even when deactivation cancels this task meanwhile: deactivation
            // awaits it, and it is one transaction that either lands whole or not at all.
            try await Task { try await actuate(fence: fence, objectID: objectID, adder: adder) }.value
        }
    }

    /// Zero when a build is due now (never built, or the time was missed).
    private func timeUntilNextBuild(_ objectID: Int) async throws -> Duration {
        guard case .number(let last) = try await database.state.getState(objectID, "last_build", default: nil) else {
            return .zero
        }
        let next = last + Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let remaining = next - database.clock.now().timeIntervalSince1970
        return remaining > 0 ? .milliseconds(Int64((remaining * 1000).rounded(.up))) : .zero
    }

    private func actuate(fence: ClaimFence, objectID: Int, adder: BuildsetAdder) async throws {
        var request = BuildsetAdder.Request(fence: fence, reason: reason)
        request.state = { now in
            StateWrite(
                objectID: objectID, key: "last_build", value: .number(now.timeIntervalSince1970.rounded(.down)))
        }
        _ = try await adder.addBuildsetForSourceStampsWithDefaults(request, sourceStamps: [])
    }
}
