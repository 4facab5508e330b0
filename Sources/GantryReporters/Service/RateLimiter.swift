import Foundation

/// Spaces a reporter's deliveries to at most `perMinute` a minute: a bucket of `perMinute` tokens, refilled
/// evenly, so a quiet reporter may send a burst and a busy one settles at the limit.
struct RateLimiter: Sendable, Hashable {
    /// Deliveries a minute; nil for no limit.
    let perMinute: Int?
    private var tokens: Double
    private var refilledAt: Date?

    init(perMinute: Int?) {
        self.perMinute = perMinute
        self.tokens = Double(perMinute ?? 0)
    }

    /// How long to wait before the next delivery, at `now`; zero when it may go at once.
    mutating func wait(at now: Date) -> Duration {
        guard let perMinute, perMinute > 0 else { return .zero }
        refill(at: now, perMinute: perMinute)
        guard tokens < 1 else { return .zero }
        let seconds = (1 - tokens) * 60 / Double(perMinute)
        return .milliseconds(Int((seconds * 1000).rounded(.up)))
    }

    /// Counts one delivery made at `now`.
    mutating func took(at now: Date) {
        guard let perMinute, perMinute > 0 else { return }
        refill(at: now, perMinute: perMinute)
        tokens -= 1
    }

    private mutating func refill(at now: Date, perMinute: Int) {
        guard let last = refilledAt else {
            refilledAt = now
            return
        }
        // A clock stepping back adds nothing, and the time it steps over is not counted twice.
        refilledAt = max(last, now)
        let elapsed = max(0, now.timeIntervalSince(last))
        tokens = min(Double(perMinute), tokens + elapsed * Double(perMinute) / 60)
    }
}
