public import GantryModel
public import Logging
import Metrics
import Synchronization

/// Runs one clustered service on this master: polls to claim it, activates it while the claim holds,
/// re-validates the claim on every heartbeat, and unwinds in order on stop.
///
/// Rules, after Buildbot's `ClusteredBuildbotService` with its gaps closed:
/// - the first poll happens at once, then one every `claimPoll` until a claim is won; polling then stops, and a
///   poll-now while active does nothing;
/// - an error while claiming is logged and the service stays inactive; an error in `activate` is logged and the
///   service stays active;
/// - every heartbeat re-checks the claim; a lost claim, or this master found expired, deactivates at once
///   (logged, and counted in `gantry_service_claim_lost_total`), the heartbeat returns once that is done, and
///   polling resumes; a failed check keeps the claim;
/// - stop waits for any step in progress, then cancels and awaits the active work, deactivates, and releases
///   only its own claim; errors there are logged and the service ends inactive; then the behaviour is told
///   it stopped. A stop during the id look-up ends without claiming; a claim won while stopping is activated
///   first, so activate and deactivate always pair.
///
/// ``ClaimStateMachine`` makes every decision; this type feeds it requests, timers and the outcome of each step,
/// and carries out the actions it returns. Steps run one at a time in child tasks, so a request is seen while a
/// step is in flight and kept until it completes; every heartbeat waiting in ``revalidate(masterExpired:)`` is
/// answered, even when ``run()`` is cancelled or has ended.
public final class ClusteredService: Sendable {
    /// What the service does when active.
    public let behavior: any ClusteredServiceBehavior
    private let claimer: any ServiceClaimer
    private let masterID: Int
    private let claimPoll: Duration
    private let clock: any Clock<Duration>
    private let logger: Logger
    /// The loop's events in arrival order. It ignores cancellation, since a cancelled loop must still see its steps'
    /// outcomes to unwind; once closed, a revalidation that arrives is answered at once, so no heartbeat ever waits
    /// on a service that has finished.
    private let inbox = Mailbox<Event>(ignoringCancellation: true)
    /// Locked so that ``fence`` can be read from any task; only ``run()`` feeds it events.
    private let machine = Mutex(ClaimStateMachine())
    /// Open once the first poll has finished, or the service has stopped.
    private let started = Latch()
    /// Open once ``run()`` has unwound.
    private let stopped = Latch()

    private typealias Action = ClaimStateMachine.Action

    /// What the loop reacts to: requests from other tasks, its timers, and the outcome of each step it started.
    private enum Event: Sendable {
        case pollTimerFired(generation: Int)
        case pollNow
        case revalidate(masterExpired: Bool, done: CheckedContinuation<Void, Never>)
        case stop
        case serviceIDFound(Int)
        case lookUpFailed
        case claimed(ClaimFence)
        case claimRefused
        case claimFailed
        case activated
        case activationFailed
        case claimChecked(current: Bool)
        case claimCheckFailed
        case deactivated
        case deactivationFailed
        case unclaimed
        case unclaimFailed
    }

    /// What the loop keeps besides the machine: the heartbeats waiting for an answer, and the signal that ends the
    /// active work.
    private struct Loop {
        /// Callers of ``revalidate(masterExpired:)``, longest-waiting first; the machine says how many to answer.
        var heartbeats: [CheckedContinuation<Void, Never>] = []
        /// Opened to cancel the active work and deactivate; set while active.
        var deactivation: Latch?

        /// Resumes the `count` longest-waiting heartbeats.
        mutating func answer(_ count: Int) {
            let answered = heartbeats.prefix(count)
            heartbeats.removeFirst(answered.count)
            for heartbeat in answered { heartbeat.resume() }
        }
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
    public var fence: ClaimFence? { machine.withLock { $0.fence } }

    /// Whether the service is active here.
    public var isActive: Bool { fence != nil }

    /// Returns once the first claim poll has finished (claimed and activated, or found unclaimable), or the service
    /// has stopped.
    public func waitUntilStarted() async {
        await started.wait()
    }

    /// Returns once ``run()`` has unwound: deactivated, and its claim released.
    public func waitUntilStopped() async {
        await stopped.wait()
    }

    /// Re-checks the claim (the master's heartbeat calls this); deactivates at once when it is gone or when this
    /// master was found expired. Returns when done.
    public func revalidate(masterExpired: Bool) async {
        await withCheckedContinuation { continuation in
            inbox.post(.revalidate(masterExpired: masterExpired, done: continuation))
        }
    }

    /// Polls for the claim now rather than at the next `claimPoll` (the master just expired a peer, whose
    /// claims are free); nothing happens while the service is active.
    public func pollNow() {
        inbox.post(.pollNow)
    }

    /// Asks the service to stop; ``run()`` returns once it has unwound.
    public func stop() {
        inbox.post(.stop)
    }

    /// The service's loop; returns after ``stop()`` (or cancellation) once everything is unwound.
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                var loop = Loop()
                var actions = machine.withLock { $0.start() }
                while run(actions, in: &group, &loop), let event = await inbox.next() {
                    actions = feed(event, &loop)
                }
                group.cancelAll()
            }
        } onCancel: { [inbox] in
            inbox.post(.stop)
        }
        await behavior.stopped()
        started.open()
        stopped.open()
    }

    // MARK: - Events in, actions out

    /// Feeds `event` to the machine; a revalidation's caller joins the heartbeats waiting for an answer.
    private func feed(_ event: Event, _ loop: inout Loop) -> [Action] {
        if case .revalidate(_, let done) = event { loop.heartbeats.append(done) }
        return machine.withLock { machine -> [Action] in
            switch event {
            case .pollTimerFired(let generation):
                return machine.pollTimerFired(generation: generation)
            case .pollNow:
                return machine.pollNowRequested()
            case .revalidate(let masterExpired, _):
                return machine.revalidateRequested(masterExpired: masterExpired)
            case .stop:
                return machine.stopRequested()
            case .serviceIDFound(let serviceID):
                return machine.serviceIDFound(serviceID)
            case .lookUpFailed:
                return machine.lookUpFailed()
            case .claimed(let fence):
                return machine.claimed(fence)
            case .claimRefused:
                return machine.claimRefused()
            case .claimFailed:
                return machine.claimFailed()
            case .activated:
                return machine.activated()
            case .activationFailed:
                return machine.activationFailed()
            case .claimChecked(let current):
                return machine.claimChecked(current: current)
            case .claimCheckFailed:
                return machine.claimCheckFailed()
            case .deactivated:
                return machine.deactivated()
            case .deactivationFailed:
                return machine.deactivationFailed()
            case .unclaimed:
                return machine.unclaimed()
            case .unclaimFailed:
                return machine.unclaimFailed()
            }
        }
    }

    /// Carries out `actions` in order. Returns `false` once the service has finished.
    private func run(_ actions: [Action], in group: inout DiscardingTaskGroup, _ loop: inout Loop) -> Bool {
        for action in actions {
            guard run(action, in: &group, &loop) else { return false }
        }
        return true
    }

    /// Carries out `action`; a step runs in a child task and reports back through the inbox. Returns `false` once
    /// the service has finished.
    private func run(_ action: Action, in group: inout DiscardingTaskGroup, _ loop: inout Loop) -> Bool {
        switch action {
        case .reportLostClaim(let fence):
            Counter(label: "gantry_service_claim_lost_total", dimensions: [("kind", behavior.kind.rawValue)])
                .increment()
            logger.warning("service lost its claim and was deactivated", metadata: [LogKey.epoch: "\(fence.epoch)"])
        case .answerRevalidations(let count):
            loop.answer(count)
        case .markStarted:
            started.open()
        case .lookUpServiceID:
            group.addTask { [claimer, behavior, logger, inbox] in
                do {
                    let serviceID = try await claimer.serviceID(named: behavior.name)
                    inbox.post(.serviceIDFound(serviceID))
                } catch {
                    logger.error("cannot register service", metadata: [LogKey.error: "\(error)"])
                    inbox.post(.lookUpFailed)
                }
            }
        case .claim(let serviceID):
            group.addTask { [claimer, masterID, logger, inbox] in
                do {
                    if let fence = try await claimer.claim(serviceID, masterid: masterID) {
                        inbox.post(.claimed(fence))
                    } else {
                        inbox.post(.claimRefused)
                    }
                } catch {
                    logger.error("claiming failed; will retry", metadata: [LogKey.error: "\(error)"])
                    inbox.post(.claimFailed)
                }
            }
        case .activate(let fence):
            logger.info("service active", metadata: [LogKey.epoch: "\(fence.epoch)"])
            let deactivation = Latch()
            loop.deactivation = deactivation
            group.addTask { [behavior, logger, inbox] in
                let outcome: Event
                do {
                    try await behavior.activate(fence: fence)
                    outcome = .activated
                } catch {
                    logger.error("activate failed; the service stays active", metadata: [LogKey.error: "\(error)"])
                    outcome = .activationFailed
                }
                await withDiscardingTaskGroup { work in
                    work.addTask { await behavior.runWhileActive(fence: fence) }
                    inbox.post(outcome)
                    await deactivation.wait()
                    work.cancelAll()
                }
                do {
                    try await behavior.deactivate()
                    inbox.post(.deactivated)
                } catch {
                    logger.error("deactivate failed", metadata: [LogKey.error: "\(error)"])
                    inbox.post(.deactivationFailed)
                }
            }
        case .checkClaim(let fence):
            group.addTask { [claimer, logger, inbox] in
                do {
                    let current = try await claimer.isCurrent(fence)
                    inbox.post(.claimChecked(current: current))
                } catch {
                    logger.warning("cannot re-check the claim; keeping it", metadata: [LogKey.error: "\(error)"])
                    inbox.post(.claimCheckFailed)
                }
            }
        case .deactivate:
            loop.deactivation?.open()
            loop.deactivation = nil
        case .unclaim(let fence):
            group.addTask { [claimer, logger, inbox] in
                let outcome: Event
                do {
                    try await claimer.unclaim(fence)
                    outcome = .unclaimed
                } catch {
                    logger.error("releasing the claim failed", metadata: [LogKey.error: "\(error)"])
                    outcome = .unclaimFailed
                }
                logger.info("service stopped")
                inbox.post(outcome)
            }
        case .schedulePoll(let generation):
            group.addTask { [clock, claimPoll, inbox] in
                guard (try? await clock.sleep(for: claimPoll)) != nil else { return }
                inbox.post(.pollTimerFired(generation: generation))
            }
        case .finish:
            inbox.close(dropping: { event in
                if case .revalidate(_, let done) = event { done.resume() }
            })
            loop.answer(loop.heartbeats.count)
            return false
        }
        return true
    }
}
