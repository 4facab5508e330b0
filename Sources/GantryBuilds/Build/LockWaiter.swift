import Foundation
import GantryModel
import GantryStorage
import Logging

/// Takes the locks of this master's builds and steps, waiting while they are not free: the build or step shows
/// "waiting for locks: NAMES" and tries again whenever locks are released (on this master at once, on another
/// through the notifier) and at least every `poll`.
///
/// Waiters of this master are served in the order they came: an attempt leaves alone what the waiters ahead of
/// it wait for (see `LockSlots.Reservation`), as Buildbot's lock queues do. Between masters the slots go to
/// whichever tries first.
actor LockWaiter {
    /// The build was stopped while it waited; it took nothing.
    struct Stopped: Error {}

    private struct Waiter {
        var ticket: Int
        /// What it waits for: everything it asks until its first attempt, then what was busy at its latest.
        var waitingFor: [LockRequest]
        let wake = WakeUpSignal()
    }

    private let database: Database
    private let masterID: Int
    private let clock: any Clock<Duration>
    private let poll: Duration
    private let logger: Logger
    /// This master's waiters, in the order they came.
    private var queue: [Waiter] = []
    private var nextTicket = 0

    init(database: Database, masterID: Int, clock: any Clock<Duration>, poll: Duration = .seconds(2), logger: Logger) {
        self.database = database
        self.masterID = masterID
        self.clock = clock
        self.poll = poll
        self.logger = logger
    }

    /// Takes `accesses` for build `buildID` on `worker`, or for its step `stepID` when given, all at once, waiting
    /// until they are free. A step that takes none keeps the `locks_acquired_at` its start set; the seconds
    /// waited are added to the build's `locks_duration_s`.
    /// - Returns: Whether it had to wait (the build's or step's state string then says so).
    /// - Throws: `Stopped` when the build is stopped before it has them.
    @discardableResult
    func acquire(
        _ accesses: [LockAccess], worker: String, buildID: Int, stepID: Int? = nil, control: BuildControl
    ) async throws -> Bool {
        guard !accesses.isEmpty else { return false }
        guard await control.stopReason == nil else { throw Stopped() }
        let requests = accesses.map { $0.request(onWorker: worker) }
        let since = database.clock.now()
        let waiter = enqueue(requests)
        defer { leave(waiter.ticket) }
        guard let busy = try await attempt(requests, as: waiter.ticket, buildID: buildID, stepID: stepID, since: nil)
        else { return false }
        try await show(busy, buildID: buildID, stepID: stepID)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let releases = database.notifier.wakeups(for: [.locksReleased], poll: poll, clock: clock)
            group.addTask { [wake = waiter.wake] in
                for await _ in releases { wake.signal() }
            }
            group.addTask { [wake = waiter.wake] in
                await control.waitUntilStopped()
                wake.signal()
            }
            defer { group.cancelAll() }
            var shown = LockSlots.names(busy)
            // Once more at once: a release between the first attempt and the subscription above is not missed.
            repeat {
                guard await control.stopReason == nil else { throw Stopped() }
                guard
                    let busy = try await attempt(
                        requests, as: waiter.ticket, buildID: buildID, stepID: stepID, since: since)
                else { return }
                if LockSlots.names(busy) != shown {
                    shown = LockSlots.names(busy)
                    try await show(busy, buildID: buildID, stepID: stepID)
                }
            } while await waiter.wake.wait()
            throw CancellationError()
        }
        return true
    }

    /// Releases the locks step `stepID` of build `buildID` took, if it took any. A failure is logged: the build's
    /// end releases them in any case.
    func release(_ accesses: [LockAccess], buildID: Int, stepID: Int) async {
        guard !accesses.isEmpty else { return }
        do {
            try await database.locks.release(stepid: stepID, buildid: buildID)
        } catch {
            logger.warning(
                "a step's locks are held until its build ends: releasing them failed",
                metadata: [LogKey.build: "\(buildID)", LogKey.error: "\(error)"])
        }
    }

    /// Wakes the waiters: a build that held locks ended, which released them in the same transaction.
    func buildEnded() async {
        await database.notifier.post(.locksReleased)
    }

    /// One try at taking `requests`; `nil` when they are taken, else the busy ones, which the waiters behind
    /// this one then leave alone.
    private func attempt(
        _ requests: [LockRequest], as ticket: Int, buildID: Int, stepID: Int?, since: Date?
    ) async throws -> [LockRequest]? {
        let acquisition = try await database.locks.acquire(
            requests, buildid: buildID, stepid: stepID, masterid: masterID, reserved: reservations(before: ticket),
            waitingSince: since)
        switch acquisition {
        case .acquired:
            return nil
        case .waiting(let busy):
            waits(ticket, for: busy)
            return busy
        }
    }

    /// Shows what the build or step waits for.
    private func show(_ busy: [LockRequest], buildID: Int, stepID: Int?) async throws {
        let names = LockSlots.names(busy)
        let text = "waiting for locks: \(names.joined(separator: ", "))"
        if let stepID {
            try await database.steps.setStepStateString(stepID, text)
        } else {
            try await database.builds.setBuildStateString(buildID, text)
        }
        logger.info(
            "waiting for locks",
            metadata: [LogKey.build: "\(buildID)", LogKey.locks: "\(names.joined(separator: ","))"])
    }

    private func enqueue(_ requests: [LockRequest]) -> Waiter {
        nextTicket += 1
        let waiter = Waiter(ticket: nextTicket, waitingFor: requests)
        queue.append(waiter)
        return waiter
    }

    /// What the waiters ahead of `ticket` wait for.
    private func reservations(before ticket: Int) -> [LockInstance: LockSlots.Reservation] {
        var reserved: [LockInstance: LockSlots.Reservation] = [:]
        for waiter in queue.prefix(while: { $0.ticket != ticket }) {
            LockSlots.reserve(waiter.waitingFor, in: &reserved)
        }
        return reserved
    }

    /// `ticket` now waits for `busy` only; the waiters behind it may find free what it no longer holds back.
    private func waits(_ ticket: Int, for busy: [LockRequest]) {
        guard let index = queue.firstIndex(where: { $0.ticket == ticket }), queue[index].waitingFor != busy else {
            return
        }
        queue[index].waitingFor = busy
        for waiter in queue[(index + 1)...] { waiter.wake.signal() }
    }

    /// `ticket` has its locks or gave up: the waiters behind it try again.
    private func leave(_ ticket: Int) {
        guard let index = queue.firstIndex(where: { $0.ticket == ticket }) else { return }
        queue.remove(at: index)
        for waiter in queue[index...] { waiter.wake.signal() }
    }
}

extension BuildRunner.Assignment {
    /// Whether the build or one of its steps takes locks, which its end releases.
    var takesLocks: Bool {
        !locks.isEmpty || steps.contains { !$0.locks.isEmpty }
    }
}
