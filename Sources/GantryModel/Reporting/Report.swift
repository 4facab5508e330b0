/// One message a reporter will deliver: rendered when the reporter service meets the event, stored in the
/// outbox, and sent (and re-sent after a failure) exactly as stored. Secrets are not part of it: they are added
/// when it is sent, so none reaches the database.
public struct Report: Sendable, Hashable {
    /// Where it goes: reports with the same target replace one another (a commit status per revision and
    /// context), so a queued report is dropped when a newer one for its target is queued behind it.
    public var target: String
    /// What the reporter's transport sends: for HTTP reporters `{"method", "path", "body"}`, for mail
    /// `{"to", "subject", "text"}`.
    public var payload: JSONValue

    public init(target: String, payload: JSONValue) {
        self.target = target
        self.payload = payload
    }
}
