import Synchronization

/// Counts the hook requests whose bodies are read before their sender is known to hold the secret, so that a
/// flood of them is turned away instead of held in memory.
final class HookBodyGate: Sendable {
    private let capacity: Int
    private let taken = Mutex(0)

    /// - Parameter capacity: The most requests let in at once.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Takes a place; `false` when every place is taken.
    func enter() -> Bool {
        taken.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
    }

    /// Gives back a place taken by `enter()`.
    func leave() {
        taken.withLock { $0 -= 1 }
    }
}
