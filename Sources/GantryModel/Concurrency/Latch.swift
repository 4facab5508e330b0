import Synchronization

/// A one-way gate: waiters suspend until ``open()`` is called, and return at once afterwards.
package final class Latch: Sendable {
    private struct State {
        var isOpen = false
        /// Suspended waiters by ticket, so that a cancelled one can be taken out and is never resumed twice.
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextTicket = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Lets every waiter, present and future, through.
    package func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the latch is open; cancellation does not end the wait.
    package func wait() async {
        guard let ticket = ticketToWait() else { return }
        await suspend(ticket, unlessCancelled: false)
    }

    /// Returns once the latch is open, or once the waiting task is cancelled, for a waiter that must not outlive
    /// its task.
    package func waitUnlessCancelled() async {
        guard let ticket = ticketToWait() else { return }
        await withTaskCancellationHandler {
            await suspend(ticket, unlessCancelled: true)
        } onCancel: {
            let waiter = state.withLock { state in state.waiters.removeValue(forKey: ticket) }
            waiter?.resume()
        }
    }

    /// A ticket to wait with, or `nil` when the latch is open.
    private func ticketToWait() -> Int? {
        state.withLock { state -> Int? in
            guard !state.isOpen else { return nil }
            defer { state.nextTicket += 1 }
            return state.nextTicket
        }
    }

    /// Suspends as `ticket` until the latch opens; returns at once when it is open, or when `unlessCancelled` and
    /// the task is cancelled (checked under the lock, so a cancellation handler that ran before finds nothing).
    private func suspend(_ ticket: Int, unlessCancelled: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let passes = state.withLock { state -> Bool in
                if state.isOpen || (unlessCancelled && Task.isCancelled) { return true }
                state.waiters[ticket] = continuation
                return false
            }
            if passes { continuation.resume() }
        }
    }
}
