/// Where a delivery of a reporter's outbox stands.
public enum DeliveryState: String, Sendable, Hashable, CaseIterable {
    /// Waiting to be sent, at once or after a backoff.
    case pending
    /// Being sent by the master holding the reporter; found so after that master died, it is either sent again
    /// (idempotent targets) or marked ``interrupted``.
    case sending
    /// The target accepted it.
    case delivered
    /// Given up: the target refused it for good, or it kept failing.
    case failed
    /// Replaced before it was sent by a newer report for the same target (a commit status that moved on).
    case superseded
    /// Its master died while sending it to a target that must not get it twice (a mail): whether it arrived is
    /// unknown, so it is not sent again.
    case interrupted

    /// The states a delivery never leaves; such deliveries are deleted once old.
    static let finished: [DeliveryState] = [.delivered, .failed, .superseded, .interrupted]
}
