/// Decides which slots of its locks a build or a step takes, or that it must wait: Buildbot's
/// `BaseLock.isAvailable`, without I/O. Storage reads the slots taken and writes what this decides in one
/// transaction, and the unique slot rows turn a race between masters into one winner.
///
/// A lock of `maxCount` has the slots `0..<maxCount`. A counting access takes the lowest free one; an exclusive
/// access takes all of them, so two accesses that exclude each other always want a common slot. Everything or
/// nothing is taken, so no build holds some of its locks while it waits for the others.
public enum LockSlots {
    /// What is held of one lock instance.
    public struct Taken: Sendable, Hashable {
        /// The slots held, including any at or above a `maxCount` lowered since they were taken.
        public var slots: Set<Int>
        /// Whether an exclusive holder has it (its slots may be fewer than a `maxCount` raised since).
        public var exclusive: Bool

        public init(slots: Set<Int> = [], exclusive: Bool = false) {
            self.slots = slots
            self.exclusive = exclusive
        }
    }

    /// What the waiters that came earlier on this master wait for, of one lock instance. A later waiter does not
    /// pass them, and counting waiters behind an exclusive one wait too, so it is not starved (as in Buildbot).
    public struct Reservation: Sendable, Hashable {
        /// Counting waiters ahead.
        public var counting: Int
        /// Whether an exclusive waiter is ahead.
        public var exclusive: Bool

        public init(counting: Int = 0, exclusive: Bool = false) {
            self.counting = counting
            self.exclusive = exclusive
        }
    }

    /// The slots one request takes.
    public struct Grant: Sendable, Hashable {
        public var request: LockRequest
        public var slots: [Int]

        public init(request: LockRequest, slots: [Int]) {
            self.request = request
            self.slots = slots
        }
    }

    public enum Decision: Sendable, Hashable {
        /// Take these slots, all of them at once.
        case take([Grant])
        /// Take nothing: these requests found their lock busy.
        case wait(busy: [LockRequest])
    }

    /// What `requests` (taken together) get, given what is `taken` and what earlier waiters have `reserved`.
    public static func decide(
        _ requests: [LockRequest], taken: [LockInstance: Taken], reserved: [LockInstance: Reservation] = [:]
    ) -> Decision {
        var taken = taken
        var grants: [Grant] = []
        var busy: [LockRequest] = []
        for request in requests.sorted(by: { $0.instance < $1.instance }) {
            let held = taken[request.instance] ?? Taken()
            guard let slots = freeSlots(for: request, held: held, ahead: reserved[request.instance] ?? Reservation())
            else {
                busy.append(request)
                continue
            }
            grants.append(Grant(request: request, slots: slots))
            taken[request.instance] = Taken(
                slots: held.slots.union(slots), exclusive: held.exclusive || request.mode == .exclusive)
        }
        return busy.isEmpty ? .take(grants) : .wait(busy: busy)
    }

    /// Adds what the `busy` requests of one waiter wait for to `reserved`, for the waiters behind it.
    public static func reserve(_ busy: [LockRequest], in reserved: inout [LockInstance: Reservation]) {
        for request in busy {
            var reservation = reserved[request.instance] ?? Reservation()
            switch request.mode {
            case .counting: reservation.counting = reservation.counting.addingSaturated(1)
            case .exclusive: reservation.exclusive = true
            }
            reserved[request.instance] = reservation
        }
    }

    /// The names of the locks `requests` wait for, each once, sorted: what a waiting build shows.
    public static func names(_ requests: [LockRequest]) -> [String] {
        Array(Set(requests.map(\.instance.name))).sorted()
    }

    /// The slots `request` takes of a lock whose holders are `held`, behind `ahead`; `nil` when it must wait.
    private static func freeSlots(for request: LockRequest, held: Taken, ahead: Reservation) -> [Int]? {
        guard request.maxCount > 0, !held.exclusive, !ahead.exclusive else { return nil }
        switch request.mode {
        case .counting:
            guard held.slots.count.addingSaturated(ahead.counting) < request.maxCount else { return nil }
            return (0..<request.maxCount).first { !held.slots.contains($0) }.map { [$0] }
        case .exclusive:
            guard held.slots.isEmpty, ahead.counting == 0 else { return nil }
            return Array(0..<request.maxCount)
        }
    }
}
