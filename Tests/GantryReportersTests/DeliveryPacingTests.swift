import Foundation
import GantryTesting
import Testing

@testable import GantryReporters

@Suite("Retries and the rate limit, without a clock or a target", .paced)
struct DeliveryPacingTests {
    @Test("the backoff doubles from 10 s up to 10 minutes; the target's own delay wins, within 1 s and 10 minutes")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 12)
        let delays = (1...8).map { policy.decision(afterAttempt: $0, asked: nil) }
        #expect(
            delays == [10, 20, 40, 80, 160, 320, 600, 600].map { RetryPolicy.Decision.retry(after: .seconds($0)) })
        #expect(policy.decision(afterAttempt: 3, asked: .seconds(30)) == .retry(after: .seconds(30)))
        #expect(policy.decision(afterAttempt: 3, asked: .zero) == .retry(after: .seconds(1)))
        #expect(policy.decision(afterAttempt: 3, asked: .seconds(3600)) == .retry(after: .seconds(600)))
        #expect(policy.decision(afterAttempt: 1_000_000, asked: nil) == .giveUp)
    }

    @Test("the last attempt gives up, whatever the target asked")
    func giveUp() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(policy.decision(afterAttempt: 2, asked: nil) == .retry(after: .seconds(20)))
        #expect(policy.decision(afterAttempt: 3, asked: .seconds(5)) == .giveUp)
        #expect(RetryPolicy(maxAttempts: 1).decision(afterAttempt: 1, asked: nil) == .giveUp)
    }

    @Test("a burst of a minute's deliveries goes at once; then one every 60/perMinute seconds")
    func rateLimit() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        var limiter = RateLimiter(perMinute: 60)
        for _ in 1...60 {
            #expect(limiter.wait(at: start) == .zero)
            limiter.took(at: start)
        }
        #expect(limiter.wait(at: start) == .seconds(1))
        #expect(limiter.wait(at: start.addingTimeInterval(0.5)) == .milliseconds(500))
        #expect(limiter.wait(at: start.addingTimeInterval(1)) == .zero)
        limiter.took(at: start.addingTimeInterval(1))
        #expect(limiter.wait(at: start.addingTimeInterval(1)) == .seconds(1))
        // A clock stepping back refills nothing, and the time it steps over again is not counted twice.
        #expect(limiter.wait(at: start) == .seconds(1))
        #expect(limiter.wait(at: start.addingTimeInterval(1.5)) == .milliseconds(500))
    }

    @Test("without a limit nothing ever waits")
    func unlimited() {
        var limiter = RateLimiter(perMinute: nil)
        let now = Date(timeIntervalSince1970: 0)
        for _ in 1...1000 { limiter.took(at: now) }
        #expect(limiter.wait(at: now) == .zero)
    }
}
