import Synchronization

/// A queue of events with one consumer that awaits the next one; any task may post.
///
/// Running a component's events through one loop keeps its state changes in one order, so a stop that arrives
/// during a claim or an activation is handled after that step, never in the middle of it.
final class Mailbox<Event: Sendable>: Sendable {
    private struct State {
        var events: [Event] = []
        var waiter: CheckedContinuation<Event?, Never>?
    }

    private let state = Mutex(State())

    init() {}

    /// Queues `event`, waking the consumer if it waits.
    func post(_ event: Event) {
        let waiter = state.withLock { state -> CheckedContinuation<Event?, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.events.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event, waiting for one if none is queued; `nil` once the consumer's task is cancelled.
    /// Only one task may call this.
    func next() async -> Event? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
                let event = state.withLock { state -> Event?? in
                    if Task.isCancelled { return .some(nil) }
                    if state.events.isEmpty {
                        state.waiter = continuation
                        return nil
                    }
                    return .some(state.events.removeFirst())
                }
                if let event { continuation.resume(returning: event) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Event?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
