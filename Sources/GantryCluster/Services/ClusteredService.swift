public import GantryModel
public import Logging
import Metrics
import Synchronization

/// Runs one clustered service on this master: polls to claim it, activates it while the claim holds,
/// re-validates the claim on every heartbeat, and unwinds in order on stop.
///
/// Rules, after Buildbot's `ClusteredBuildbotService` with its gaps closed:
/// - the first poll happens at once, then one every `claimPoll` until a claim is won; polling then stops;
/// - an error while claiming is logged and the service stays inactive; an error in `activate` is logged and the
///   service stays active;
/// - every heartbeat re-checks the claim; a lost claim, or this master found expired, deactivates at once
///   (logged, and counted in `gantry_service_claim_lost_total`), and polling resumes;
/// - stop waits for any step in progress, then cancels and awaits the active work, deactivates, and releases
///   only its own claim; errors there are logged and the service ends inactive; then the behaviour is told
///   it stopped.
public final class ClusteredService: Sendable {
    /// What the service does when active.
    public let behavior: any ClusteredServiceBehavior
    private let claimer: any ServiceClaimer
    private let masterID: Int
    private let claimPoll: Duration
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let mailbox = Mailbox<Event>()
    private let status = Mutex(Status())

    private enum Event: Sendable {
        case poll(generation: Int)
        case pollNow
        case revalidate(masterExpired: Bool, done: CheckedContinuation<Void, Never>)
        case stop
    }

    private struct Status {
        var fence: ClaimFence?
        var started = false
        var startWaiters: [CheckedContinuation<Void, Never>] = []
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var stopped = false
    }

    /// Why the active phase ended.
    private enum Ending {
        case stopped
        /// The heartbeat that found the claim gone, answered once deactivation is complete.
        case lostClaim(CheckedContinuation<Void, Never>)
    }

    public init(
        behavior: any ClusteredServiceBehavior,
        claimer: any ServiceClaimer,
        masterID: Int,
        claimPoll: Duration,
        clock: any Clock<Duration>,
        logger: Logger
    ) {
        self.behavior = behavior
        self.claimer = claimer
        self.masterID = masterID
        self.claimPoll = claimPoll
        self.clock = clock
        var logger = logger
        logger[metadataKey: LogKey.service] = "\(behavior.kind.rawValue):\(behavior.name)"
        self.logger = logger
    }

    /// The claim this master holds for the service, while active.
    public var fence: ClaimFence? { status.withLock { $0.fence } }

    /// Whether the service is active here.
    public var isActive: Bool { fence != nil }

    /// Returns once the first claim poll has finished (claimed and activated, or found unclaimable).
    public func waitUntilStarted() async {
        await withCheckedContinuation { continuation in
            let ready = status.withLock { status -> Bool in
                if status.started || status.stopped { return true }
                status.startWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Returns once ``run()`` has unwound: deactivated, and its claim released.
    public func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let done = status.withLock { status -> Bool in
                if status.stopped { return true }
                status.stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Re-checks the claim (the master's heartbeat calls this); deactivates at once when it is gone or when this
    /// master was found expired. Returns when done.
    public func revalidate(masterExpired: Bool) async {
        await withCheckedContinuation { continuation in
            mailbox.post(.revalidate(masterExpired: masterExpired, done: continuation))
        }
    }

    /// Polls for the claim now rather than at the next `claimPoll` (the master just expired a peer, whose
    /// claims are free); nothing happens while the service is active.
    public func pollNow() {
        mailbox.post(.pollNow)
    }

    /// Asks the service to stop; ``run()`` returns once it has unwound.
    public func stop() {
        mailbox.post(.stop)
    }

    /// The service's loop; returns after ``stop()`` (or cancellation) once everything is unwound.
    public func run() async {
        await withTaskGroup(of: Void.self) { timers in
            var generation = 0
            var serviceID: Int?
            mailbox.post(.poll(generation: generation))
            loop: while let event = await mailbox.next() {
                switch event {
                case .poll(let due) where due == generation:
                    if serviceID == nil { serviceID = await lookUpID() }
                    let fence = await serviceID.asyncFlatMap { await claim($0) }
                    markStarted()
                    if let fence {
                        guard await runActive(fence) else { break loop }
                    }
                    generation += 1
                    let next = generation
                    timers.addTask { [clock, claimPoll, mailbox] in
                        guard (try? await clock.sleep(for: claimPoll)) != nil else { return }
                        mailbox.post(.poll(generation: next))
                    }
                case .poll:
                    continue
                case .pollNow:
                    // The poll of the current generation; the pending timer's becomes stale once it has run.
                    mailbox.post(.poll(generation: generation))
                case .revalidate(_, let done):
                    done.resume()
                case .stop:
                    break loop
                }
            }
            timers.cancelAll()
        }
        await behavior.stopped()
        finish()
    }

    // MARK: - Steps

    private func lookUpID() async -> Int? {
        do {
            return try await claimer.serviceID(named: behavior.name)
        } catch {
            logger.error("cannot register service", metadata: [LogKey.error: "\(error)"])
            return nil
        }
    }

    private func claim(_ serviceID: Int) async -> ClaimFence? {
        do {
            return try await claimer.claim(serviceID, masterid: masterID)
        } catch {
            logger.error("claiming failed; will retry", metadata: [LogKey.error: "\(error)"])
            return nil
        }
    }

    /// Activates, runs the work while the claim holds, and deactivates; returns `true` when the claim was lost
    /// (polling resumes), `false` when the service was stopped.
    private func runActive(_ fence: ClaimFence) async -> Bool {
        status.withLock { $0.fence = fence }
        logger.info("service active", metadata: [LogKey.epoch: "\(fence.epoch)"])
        do {
            try await behavior.activate(fence: fence)
        } catch {
            logger.error("activate failed; the service stays active", metadata: [LogKey.error: "\(error)"])
        }
        let ending = await withTaskGroup(of: Void.self) { work -> Ending in
            work.addTask { [behavior] in await behavior.runWhileActive(fence: fence) }
            defer { work.cancelAll() }
            while let event = await mailbox.next() {
                switch event {
                case .poll, .pollNow:
                    continue
                case .revalidate(let masterExpired, let done):
                    guard await stillHolds(fence, masterExpired: masterExpired) else { return .lostClaim(done) }
                    done.resume()
                case .stop:
                    return .stopped
                }
            }
            return .stopped
        }
        do {
            try await behavior.deactivate()
        } catch {
            logger.error("deactivate failed", metadata: [LogKey.error: "\(error)"])
        }
        status.withLock { $0.fence = nil }
        switch ending {
        case .stopped:
            do {
                try await claimer.unclaim(fence)
            } catch {
                logger.error("releasing the claim failed", metadata: [LogKey.error: "\(error)"])
            }
            logger.info("service stopped")
            return false
        case .lostClaim(let heartbeat):
            Counter(label: "gantry_service_claim_lost_total", dimensions: [("kind", behavior.kind.rawValue)])
                .increment()
            logger.warning("service lost its claim and was deactivated", metadata: [LogKey.epoch: "\(fence.epoch)"])
            heartbeat.resume()
            return true
        }
    }

    private func stillHolds(_ fence: ClaimFence, masterExpired: Bool) async -> Bool {
        if masterExpired { return false }
        do {
            return try await claimer.isCurrent(fence)
        } catch {
            // Unknown is not lost: fenced writes already refuse anything a deposed master tries.
            logger.warning("cannot re-check the claim; keeping it", metadata: [LogKey.error: "\(error)"])
            return true
        }
    }

    private func markStarted() {
        let waiters = status.withLock { status -> [CheckedContinuation<Void, Never>] in
            status.started = true
            defer { status.startWaiters = [] }
            return status.startWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func finish() {
        let waiters = status.withLock { status -> [CheckedContinuation<Void, Never>] in
            status.stopped = true
            defer {
                status.startWaiters = []
                status.stopWaiters = []
            }
            return status.startWaiters + status.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension Optional where Wrapped: Sendable {
    fileprivate func asyncFlatMap<T>(_ transform: (Wrapped) async -> T?) async -> T? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}
