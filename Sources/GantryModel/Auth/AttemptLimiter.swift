/// Limits failed attempts (logins, tokens) per key, an address or a user name: at most `limit` failures in any
/// `window`, after which attempts for the key wait until the oldest of them is `window` old.
///
/// A value driven by its owner's clock, so tests move time by hand. It keeps at most `limit` instants for each of
/// at most `maxKeys` keys: beyond that, keys with no recent failure go first, then those whose last failure is
/// oldest.
public struct AttemptLimiter<Instant: InstantProtocol>: Sendable
where Instant: Sendable, Instant.Duration == Swift.Duration {
    public let limit: Int
    public let window: Duration
    public let maxKeys: Int
    /// Each key's most recent failures, oldest first, at most `limit` of them.
    private var failures: [String: [Instant]] = [:]

    /// - Parameters:
    ///   - limit: Failures allowed within `window`; at least 1.
    ///   - window: How long a failure counts.
    ///   - maxKeys: How many keys are remembered, so an attacker cycling through names cannot exhaust memory.
    public init(limit: Int, window: Duration, maxKeys: Int = 10_000) {
        self.limit = max(limit, 1)
        self.window = window
        self.maxKeys = max(maxKeys, 1)
    }

    /// `nil` when an attempt for `key` may go ahead at `now`; else how long until one may.
    public func retryAfter(_ key: String, at now: Instant) -> Duration? {
        let recent = (failures[key] ?? []).filter { isRecent($0, at: now) }
        guard recent.count >= limit else { return nil }
        return window - recent[recent.count - limit].duration(to: now)
    }

    /// Counts a failed attempt for `key` at `now`.
    public mutating func recordFailure(_ key: String, at now: Instant) {
        var recent = (failures[key] ?? []).filter { isRecent($0, at: now) }
        recent.append(now)
        if recent.count > limit { recent.removeFirst(recent.count - limit) }
        if failures[key] == nil && failures.count >= maxKeys { makeRoom(at: now) }
        failures[key] = recent
    }

    /// Forgets `key`'s failures: the attempt that succeeded proved the caller.
    public mutating func recordSuccess(_ key: String) {
        failures[key] = nil
    }

    /// How many keys have failures remembered.
    public var keyCount: Int { failures.count }

    private func isRecent(_ failure: Instant, at now: Instant) -> Bool {
        failure.duration(to: now) < window
    }

    /// Drops the keys with no recent failure, and if that frees nothing, the key whose last failure is oldest.
    private mutating func makeRoom(at now: Instant) {
        failures = failures.filter { $0.value.last.map { isRecent($0, at: now) } ?? false }
        guard failures.count >= maxKeys,
            let oldest = failures.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key
        else { return }
        failures[oldest] = nil
    }
}
