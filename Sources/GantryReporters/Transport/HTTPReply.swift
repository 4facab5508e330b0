import Foundation

/// A target's answer to an HTTP report, as the outbox judges it.
struct HTTPReply: Sendable, Hashable {
    var status: Int
    /// Header names lower-cased; the last value of a repeated header.
    var headers: [String: String]
    /// The start of the body (see ``HTTPTransport/maxBodyBytes``).
    var body: String

    /// How long a target may ask the outbox to wait: at least a second, at most an hour (a broken clock or a
    /// hostile target must not park a reporter for days).
    static let waits = Duration.seconds(1)...Duration.seconds(3600)

    /// How the delivery went: a 2xx is delivered; a 408, 429, 5xx or a 403 that is a rate limit (GitHub's
    /// secondary limits answer 403) is tried again, when the target says (`Retry-After`, `x-ratelimit-reset`);
    /// any other answer will not change by trying again.
    /// - Parameter now: The time `x-ratelimit-reset` is counted from.
    func outcome(at now: Date) -> DeliveryOutcome {
        switch status {
        case 200..<300: .delivered(status: status)
        case 408, 429, 500..<600: .retry(reason: summary, after: retryAfter(at: now))
        case 403 where isRateLimit: .retry(reason: summary, after: retryAfter(at: now))
        default: .failed(reason: summary)
        }
    }

    /// `HTTP <status>: <the body's first 200 characters>`, for the log and the reporter page.
    var summary: String {
        let excerpt = body.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines)
        return excerpt.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(excerpt)"
    }

    /// Whether a 403 is GitHub's rate limit rather than a refused token.
    private var isRateLimit: Bool {
        headers["retry-after"] != nil || headers["x-ratelimit-remaining"] == "0"
            || body.range(of: "rate limit", options: .caseInsensitive) != nil
    }

    /// The wait the target asked for: `Retry-After` in seconds, else the time until `x-ratelimit-reset` once
    /// no request is left; nil when it said neither.
    private func retryAfter(at now: Date) -> Duration? {
        if let text = headers["retry-after"], let seconds = Int(text.trimmingCharacters(in: .whitespaces)) {
            return Self.clamped(.seconds(seconds))
        }
        if headers["x-ratelimit-remaining"] == "0", let text = headers["x-ratelimit-reset"],
            let reset = Double(text.trimmingCharacters(in: .whitespaces))
        {
            return Self.clamped(.seconds(reset - now.timeIntervalSince1970))
        }
        return nil
    }

    private static func clamped(_ wait: Duration) -> Duration {
        min(max(wait, waits.lowerBound), waits.upperBound)
    }
}
