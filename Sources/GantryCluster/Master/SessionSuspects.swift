/// Decides which peers without a session lock to expire: only those seen without one for `confirmation`, over
/// two checks at least, so a peer whose lock connection blinked (it takes the lock again at once) is not taken
/// for dead; and none while this master's own lock has not been held for `confirmation`, since its own
/// connection may be what failed (after a server restart every master is briefly without its lock).
struct SessionSuspects: Sendable, Equatable {
    let confirmation: Duration
    /// Each peer seen without its lock, since when, without a break.
    private var since: [Int: ContinuousClock.Instant] = [:]

    init(confirmation: Duration) {
        self.confirmation = confirmation
    }

    /// A check at `now` found the peers `lockless` without their lock, while this master's own lock has been
    /// held since `ownLockSince` (`nil`: not held). Returns the peers to expire.
    mutating func observed(
        lockless: Set<Int>, ownLockSince: ContinuousClock.Instant?, at now: ContinuousClock.Instant
    ) -> Set<Int> {
        since = since.filter { lockless.contains($0.key) }
        for id in lockless where since[id] == nil { since[id] = now }
        guard let ownLockSince, now >= ownLockSince.advanced(by: confirmation) else { return [] }
        return Set(since.filter { now >= $0.value.advanced(by: confirmation) }.keys)
    }

    /// Forgets a peer once it was expired (or came back).
    mutating func forget(_ id: Int) {
        since[id] = nil
    }
}
