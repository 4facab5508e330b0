import Foundation
import GantryTesting
import Testing

@testable import GantryReporters

@Suite("How an HTTP answer is judged", .paced)
struct HTTPReplyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func outcome(_ status: Int, _ headers: [String: String] = [:], body: String = "") -> DeliveryOutcome {
        HTTPReply(status: status, headers: headers, body: body).outcome(at: now)
    }

    @Test("any 2xx is delivered, with its status")
    func delivered() {
        #expect(outcome(200) == .delivered(status: 200))
        #expect(outcome(201, body: #"{"id":1}"#) == .delivered(status: 201))
        #expect(outcome(204) == .delivered(status: 204))
    }

    @Test("a 5xx, 408 and 429 are tried again, after the Retry-After the target gave")
    func retried() {
        #expect(outcome(503, body: "down\n") == .retry(reason: "HTTP 503: down", after: nil))
        #expect(outcome(500) == .retry(reason: "HTTP 500", after: nil))
        #expect(outcome(408) == .retry(reason: "HTTP 408", after: nil))
        #expect(outcome(429, ["retry-after": "7"]) == .retry(reason: "HTTP 429", after: .seconds(7)))
    }

    @Test("a wait the target asks for is kept between a second and an hour; a date in Retry-After is ignored")
    func clamped() {
        #expect(outcome(429, ["retry-after": "0"]) == .retry(reason: "HTTP 429", after: .seconds(1)))
        #expect(outcome(429, ["retry-after": "86400"]) == .retry(reason: "HTTP 429", after: .seconds(3600)))
        #expect(
            outcome(503, ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"]) == .retry(reason: "HTTP 503", after: nil))
    }

    @Test("a 403 is a rate limit when it says so (Retry-After, no request left, the words): tried again")
    func rateLimits() {
        let reset = ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000090"]
        #expect(outcome(403, reset) == .retry(reason: "HTTP 403", after: .seconds(90)))
        #expect(outcome(403, ["retry-after": "60"]) == .retry(reason: "HTTP 403", after: .seconds(60)))
        let secondary = "You have exceeded a secondary rate limit."
        #expect(outcome(403, body: secondary) == .retry(reason: "HTTP 403: \(secondary)", after: nil))
        let refused = "Resource not accessible by integration"
        #expect(
            outcome(403, ["x-ratelimit-remaining": "4999"], body: refused) == .failed(reason: "HTTP 403: \(refused)"))
    }

    @Test("any other answer fails at once, naming the status and the start of the body")
    func failed() {
        #expect(
            outcome(404, body: #"{"message":"Not Found"}"#) == .failed(reason: #"HTTP 404: {"message":"Not Found"}"#))
        #expect(outcome(302) == .failed(reason: "HTTP 302"))
        let long = String(repeating: "x", count: 500)
        #expect(outcome(422, body: long) == .failed(reason: "HTTP 422: " + String(repeating: "x", count: 200)))
    }
}
