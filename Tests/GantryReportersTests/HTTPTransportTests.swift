import Foundation
import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite("Sending HTTP reports: what is retried, what fails", .paced, .timeLimit(.minutes(1)))
struct HTTPTransportTests {
    typealias Fixtures = ReportFixtures

    /// Delivers a started build's status twice to a fake GitHub that answers `answer` first.
    private func deliverTwice(after answer: FakeCodeHost.Answer) async throws -> [DeliveryOutcome] {
        try await FakeCodeHost.with(.github) { host in
            host.answerNext(with: answer)
            let reporter = Fixtures.github(base: host.baseURL)
            let report = try #require(reporter.reports(for: Fixtures.subject(.started)).first)
            var outcomes: [DeliveryOutcome] = []
            for _ in 0..<2 { outcomes.append(await reporter.deliver(report.payload, deliveryID: 1)) }
            #expect(host.violations == [])
            return outcomes
        }
    }

    @Test("a 500 is retried, and the report goes through once the host is back")
    func serverError() async throws {
        let outcomes = try await deliverTwice(after: .serverError)
        #expect(
            outcomes == [.retry(reason: #"HTTP 500: {"message":"Server Error"}"#, after: nil), .delivered(status: 201)])
    }

    @Test("a 429 is retried after the host's Retry-After")
    func tooManyRequests() async throws {
        let outcomes = try await deliverTwice(after: .tooManyRequests(retryAfter: 7))
        #expect(outcomes.first == .retry(reason: #"HTTP 429: {"message":"Too Many Requests"}"#, after: .seconds(7)))
    }

    @Test("GitHub's secondary rate limit, a 403, is retried after its Retry-After")
    func secondaryRateLimit() async throws {
        let outcomes = try await deliverTwice(after: .secondaryRateLimit(retryAfter: 60))
        guard case .retry(let reason, let after)? = outcomes.first else {
            Issue.record("not retried: \(outcomes)")
            return
        }
        #expect(reason.hasPrefix("HTTP 403: "))
        #expect(after == .seconds(60))
    }

    @Test("an exhausted rate limit, a 403, is retried once the limit resets")
    func exhaustedRateLimit() async throws {
        let reset = Int(Date().timeIntervalSince1970) + 600
        let outcomes = try await deliverTwice(after: .rateLimitExhausted(reset: reset))
        guard case .retry(_, let after?)? = outcomes.first else {
            Issue.record("not retried with a wait: \(outcomes)")
            return
        }
        // Counted from when the answer came: at most the 600 s asked, and far above the one-second floor.
        #expect(after <= .seconds(600) && after > .seconds(60))
    }

    @Test("a 404 or a refused token fails at once; the reason never shows the token")
    func refusals() async throws {
        let notFound = try await deliverTwice(after: .notFound)
        #expect(notFound.first == .failed(reason: #"HTTP 404: {"message":"Not Found"}"#))
        let refused = try await deliverTwice(after: .badCredentials)
        #expect(refused.first == .failed(reason: #"HTTP 401: {"message":"Bad credentials"}"#))
        #expect(!"\(refused)".contains(Fixtures.token))
    }

    @Test("a host that cannot be reached is retried; the reason names the host, never the token")
    func unreachable() async throws {
        let port = try freeLocalPort()
        // The client retries a refused connection until the request's deadline: a short one keeps the test short.
        let reporter = Fixtures.github(base: "http://127.0.0.1:\(port)", transport: HTTPTransport(timeout: .seconds(2)))
        let report = try #require(reporter.reports(for: Fixtures.subject(.started)).first)
        let outcome = await reporter.deliver(report.payload, deliveryID: 1)
        guard case .retry(let reason, .none) = outcome else {
            Issue.record("not retried: \(outcome)")
            return
        }
        #expect(reason.contains("127.0.0.1"))
        #expect(!reason.contains(Fixtures.token))
    }

    @Test("a stored report that is not an HTTP request fails without being sent")
    func unreadablePayload() async {
        let outcome = await Fixtures.github().deliver(["to": ["ada@example.com"]], deliveryID: 1)
        #expect(outcome == .failed(reason: "the stored report is not an HTTP request"))
    }
}
