import Synchronization

/// The port's places for connections that have not upgraded yet, shared by copies of the port and by the
/// event loops that accept connections.
final class UnauthenticatedSlots: Sendable {
    let limit: Int
    private let taken = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// How many places are taken.
    var count: Int { taken.load(ordering: .relaxed) }

    /// Takes a place if one is free.
    func take() -> Bool {
        var current = taken.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = taken.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back a place taken with ``take()``.
    func release() {
        taken.subtract(1, ordering: .relaxed)
    }
}
