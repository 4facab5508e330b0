import Synchronization

/// A coalescing wake-up for one consumer: any task may ``signal()``, and the consumer ``wait()``s between rounds
/// of work. Signals sent before the consumer waits again count once, so a burst of them costs one round.
package final class WakeUpSignal: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state = Mutex(State())

    package init() {}

    /// Wakes the consumer: at once if it waits, otherwise at its next ``wait()``.
    package func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Waits for a signal; only one task may wait at a time.
    /// - Returns: `true` when signalled; `false` once the task is cancelled, even if a signal came, so the
    ///   consumer's loop ends rather than doing one more round.
    package func wait() async -> Bool {
        let signalled = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let outcome = state.withLock { state -> Bool? in
                    if Task.isCancelled { return false }
                    if state.signalled {
                        state.signalled = false
                        return true
                    }
                    precondition(state.waiter == nil, "a wake-up signal has one consumer")
                    state.waiter = continuation
                    return nil
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: false)
        }
        return signalled && !Task.isCancelled
    }
}
