/// Decides when the master stops waiting for a remote command the worker no longer reports on.
///
/// A worker kills a shell command that printed nothing for its `timeout` and reports its end, so a command
/// silent for longer than that (plus a margin) is one the worker lost track of (buildbot-worker does when a
/// command of a lost connection shares its id). The master then interrupts it, and once the worker has had
/// `grace` to report its end and has not, gives up on it, so its build ends instead of waiting forever.
struct CommandWatchdog: Sendable, Equatable {
    /// How long the command may stay silent before it is interrupted.
    let silence: Duration
    /// How long the worker has, after the interrupt, to report anything.
    let grace: Duration
    private var lastHeard: ContinuousClock.Instant
    private var interruptedAt: ContinuousClock.Instant?

    /// What the master does next.
    enum Action: Sendable, Equatable {
        /// Nothing until then.
        case wait(until: ContinuousClock.Instant)
        /// Interrupt the command, then ask again.
        case interrupt
        /// Stop waiting: the command is lost.
        case abandon
    }

    init(silence: Duration, grace: Duration = .seconds(30), startedAt: ContinuousClock.Instant) {
        self.silence = silence
        self.grace = grace
        lastHeard = startedAt
    }

    /// The worker reported on the command (output, a status): it still runs it.
    mutating func heard(at now: ContinuousClock.Instant) {
        lastHeard = now
        interruptedAt = nil
    }

    /// What to do at `now`.
    mutating func check(at now: ContinuousClock.Instant) -> Action {
        if let interruptedAt {
            let deadline = interruptedAt.advanced(by: grace)
            return now >= deadline ? .abandon : .wait(until: deadline)
        }
        let deadline = lastHeard.advanced(by: silence)
        guard now >= deadline else { return .wait(until: deadline) }
        interruptedAt = now
        return .interrupt
    }
}
