import GantryModel
import Testing

@Suite("AttemptLimiter")
struct AttemptLimiterTests {
    private let start = ContinuousClock.now

    private func at(_ seconds: Int) -> ContinuousClock.Instant {
        start.advanced(by: .seconds(seconds))
    }

    @Test("limit failures in the window, then a wait until the oldest is a window old")
    func limits() {
        var limiter = AttemptLimiter<ContinuousClock.Instant>(limit: 3, window: .seconds(60))
        #expect(limiter.retryAfter("10.0.0.1", at: at(0)) == nil)
        limiter.recordFailure("10.0.0.1", at: at(0))
        limiter.recordFailure("10.0.0.1", at: at(10))
        #expect(limiter.retryAfter("10.0.0.1", at: at(10)) == nil)
        limiter.recordFailure("10.0.0.1", at: at(20))
        #expect(limiter.retryAfter("10.0.0.1", at: at(20)) == .seconds(40))
        #expect(limiter.retryAfter("10.0.0.1", at: at(59)) == .seconds(1))
        #expect(limiter.retryAfter("10.0.0.1", at: at(60)) == nil, "the first failure is a window old")
        #expect(limiter.retryAfter("10.0.0.2", at: at(20)) == nil, "keys are counted apart")

        limiter.recordFailure("10.0.0.1", at: at(60))
        #expect(limiter.retryAfter("10.0.0.1", at: at(60)) == .seconds(10), "the window slides")
        #expect(limiter.retryAfter("10.0.0.1", at: at(70)) == nil)
    }

    @Test("a success clears the key")
    func success() {
        var limiter = AttemptLimiter<ContinuousClock.Instant>(limit: 2, window: .seconds(300))
        limiter.recordFailure("alice", at: at(0))
        limiter.recordFailure("alice", at: at(1))
        limiter.recordFailure("bob", at: at(1))
        #expect(limiter.retryAfter("alice", at: at(2)) == .seconds(298))
        limiter.recordSuccess("alice")
        #expect(limiter.retryAfter("alice", at: at(2)) == nil)
        limiter.recordFailure("alice", at: at(3))
        #expect(limiter.retryAfter("alice", at: at(3)) == nil, "counting starts again")
        #expect(limiter.keyCount == 2)
    }

    @Test("at most maxKeys keys: stale ones go first, then the one whose last failure is oldest")
    func boundedKeys() {
        var limiter = AttemptLimiter<ContinuousClock.Instant>(limit: 1, window: .seconds(100), maxKeys: 3)
        limiter.recordFailure("a", at: at(0))
        limiter.recordFailure("b", at: at(10))
        limiter.recordFailure("c", at: at(20))
        limiter.recordFailure("d", at: at(30))
        #expect(limiter.keyCount == 3)
        #expect(limiter.retryAfter("a", at: at(30)) == nil, "the oldest key was dropped")
        #expect(limiter.retryAfter("b", at: at(30)) == .seconds(80))
        #expect(limiter.retryAfter("d", at: at(30)) == .seconds(100))

        limiter.recordFailure("e", at: at(115))
        #expect(limiter.keyCount == 3, "b, stale by then, made room; c and d are kept")
        #expect(limiter.retryAfter("c", at: at(115)) == .seconds(5))
        #expect(limiter.retryAfter("d", at: at(115)) == .seconds(15))
        limiter.recordFailure("c", at: at(116))
        #expect(limiter.keyCount == 3, "a key already kept takes no room")
        #expect(limiter.retryAfter("c", at: at(116)) == .seconds(100))
    }
}
