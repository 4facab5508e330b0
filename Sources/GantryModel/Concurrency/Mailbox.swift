import Synchronization

/// A queue of events with one consumer that awaits the next one; any task may post.
///
/// Running a component's events through one loop keeps its state changes in one order, so a stop that arrives
/// during a step is handled after that step, never in the middle of it.
package final class Mailbox<Event: Sendable>: Sendable {
    private struct State {
        var events: [Event] = []
        var consumer: CheckedContinuation<Event?, Never>?
        /// What becomes of each event dropped; set once the mailbox is closed.
        var drop: (@Sendable (Event) -> Void)?
    }

    private let state = Mutex(State())
    private let ignoresCancellation: Bool

    /// - Parameter ignoringCancellation: Whether ``next()`` goes on waiting when the consumer's task is cancelled,
    ///   for a consumer that must still see the outcome of work it started in order to unwind; such a consumer
    ///   ends by closing the mailbox.
    package init(ignoringCancellation: Bool = false) {
        ignoresCancellation = ignoringCancellation
    }

    /// Queues `event`, waking the consumer if it waits; once the mailbox is closed, drops it.
    package func post(_ event: Event) {
        let (consumer, drop) = state.withLock {
            state -> (CheckedContinuation<Event?, Never>?, (@Sendable (Event) -> Void)?) in
            if let drop = state.drop { return (nil, drop) }
            if let consumer = state.consumer {
                state.consumer = nil
                return (consumer, nil)
            }
            state.events.append(event)
            return (nil, nil)
        }
        consumer?.resume(returning: event)
        drop?(event)
    }

    /// The next event, waiting for one if none is queued; `nil` once the mailbox is closed, or, unless it ignores
    /// cancellation, once the consumer's task is cancelled. Only one task may call this.
    package func next() async -> Event? {
        if ignoresCancellation { return await receive(checkingCancellation: false) }
        return await withTaskCancellationHandler {
            await receive(checkingCancellation: true)
        } onCancel: {
            let consumer = state.withLock { state -> CheckedContinuation<Event?, Never>? in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume(returning: nil)
        }
    }

    /// Stops taking events: `drop` is called for each one still queued and each one posted from now on, and
    /// ``next()`` returns `nil`.
    package func close(dropping drop: @escaping @Sendable (Event) -> Void) {
        let (dropped, consumer) = state.withLock { state -> ([Event], CheckedContinuation<Event?, Never>?) in
            state.drop = drop
            defer {
                state.events = []
                state.consumer = nil
            }
            return (state.events, state.consumer)
        }
        consumer?.resume(returning: nil)
        for event in dropped { drop(event) }
    }

    /// The next event, or `nil` when closed or (when `checkingCancellation`) cancelled; cancellation is checked
    /// under the lock, so a cancellation handler that ran before finds no consumer to resume.
    private func receive(checkingCancellation: Bool) async -> Event? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
            let event = state.withLock { state -> Event?? in
                if checkingCancellation && Task.isCancelled { return .some(nil) }
                if !state.events.isEmpty { return .some(state.events.removeFirst()) }
                if state.drop != nil { return .some(nil) }
                precondition(state.consumer == nil, "a mailbox has one consumer")
                state.consumer = continuation
                return nil
            }
            if let event { continuation.resume(returning: event) }
        }
    }
}
