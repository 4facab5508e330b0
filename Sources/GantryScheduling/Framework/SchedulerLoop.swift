public import Foundation
import GantryModel
public import GantryStorage
import Logging
import Synchronization

/// Runs a scheduler's steps while it is active: one at once, one whenever a change arrives (or the slow poll
/// ticks), and one at each deadline the steps ask for.
///
/// Steps run one at a time and each runs to its end even when deactivation cancels the loop, so deactivation
/// waits for the change or timer in flight and never interrupts it. A step that fails is logged and the loop
/// tries again after `retryDelay`; a step refused because the claim is gone ends the loop.
public struct SchedulerLoop: Sendable {
    let context: SchedulerContext

    public init(context: SchedulerContext) {
        self.context = context
    }

    /// Runs until cancelled. `step` returns the wall-clock time it wants to run again at, if any.
    public func run(
        on topics: Set<NotificationTopic> = [.changesNew],
        step: @escaping @Sendable () async throws -> Date?
    ) async {
        let wakeups = context.database.notifier.wakeups(for: topics, poll: context.poll, clock: context.clock)
        let wake = WakeUpSignal()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in wakeups { wake.signal() }
            }
            wake.signal()
            let armed = ArmedDeadline()
            while await wake.wait() {
                let next: Date?
                do {
                    next = try await Task { try await step() }.value
                } catch let error as GantryError where error.code == .fenced {
                    context.logger.warning("scheduler step refused: this master no longer holds the scheduler")
                    break
                } catch {
                    context.logger.error("scheduler step failed; retrying", metadata: [LogKey.error: "\(error)"])
                    next = context.database.clock.now().addingTimeInterval(context.retryDelay.timeInterval)
                }
                guard let next, armed.arm(next) else { continue }
                let wait = next.timeIntervalSince(context.database.clock.now())
                group.addTask { [clock = context.clock] in
                    if wait > 0 { guard (try? await clock.sleep(for: .seconds(wait))) != nil else { return } }
                    armed.fired(next)
                    wake.signal()
                }
            }
            group.cancelAll()
        }
    }
}

/// The earliest deadline a sleeper is waiting for, so a step asking for a later one adds no sleeper.
private final class ArmedDeadline: Sendable {
    private let deadline = Mutex<Date?>(nil)

    /// Whether a sleeper must be started for `next`: none waits, or the one waiting wakes later.
    func arm(_ next: Date) -> Bool {
        deadline.withLock { deadline in
            guard deadline.map({ next < $0 }) ?? true else { return false }
            deadline = next
            return true
        }
    }

    /// The sleeper for `date` woke; a later step must arm again.
    func fired(_ date: Date) {
        deadline.withLock { deadline in if deadline == date { deadline = nil } }
    }
}
