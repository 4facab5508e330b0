/// How sending one report went.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The target accepted it; `status` is the HTTP status (or the SMTP reply code) when there is one.
    case delivered(status: Int?)
    /// It may work later (the network, a 5xx, a rate limit): tried again after the backoff, or after `after`
    /// when the target said when (`Retry-After`).
    case retry(reason: String, after: Duration? = nil)
    /// It will not work however often it is tried (a 4xx such as a bad token or an unknown repository, a
    /// missing secret): given up at once.
    case failed(reason: String)
}
