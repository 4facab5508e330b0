/// When a report that could not be sent is tried again: after 10 s, then twice as long each time up to 10
/// minutes, or when the target said (`Retry-After`); given up after the reporter's `maxAttempts`.
///
/// No jitter: one master at a time sends a reporter's reports, so there is no crowd of senders to spread out.
struct RetryPolicy: Sendable, Hashable {
    /// What to do with a report whose attempt failed.
    enum Decision: Sendable, Equatable {
        case retry(after: Duration)
        case giveUp
    }

    var maxAttempts: Int
    var first: Duration = .seconds(10)
    var longest: Duration = .seconds(600)

    /// The decision after attempt number `attempt` (1 for the first) failed; `asked` is the target's own delay.
    func decision(afterAttempt attempt: Int, asked: Duration?) -> Decision {
        guard attempt < maxAttempts else { return .giveUp }
        if let asked { return .retry(after: min(max(asked, .seconds(1)), longest)) }
        // Doubling stops at `longest`, well before the shift could overflow.
        let doublings = min(max(attempt - 1, 0), 16)
        return .retry(after: min(first * (1 << doublings), longest))
    }
}
