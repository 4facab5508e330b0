public import Foundation

/// One line of the audit log: who did (or tried) what to what, from where, and how it ended.
public struct AuditEntry: Sendable, Hashable {
    /// The entry's number: entries are numbered in the order they were recorded.
    public let id: Int
    /// When it happened.
    public let at: Date
    /// The user; `nil` for an anonymous caller, or an open master.
    public let user: String?
    /// How the caller was known: `password`, `session`, `token`, `proxy`, `anonymous`, `open`.
    public let source: String
    /// What was done, such as `force`, `stop` or `login`.
    public let action: String
    /// What it was done to, as one name to search by, such as `build 12` or `worker w1`.
    public let target: String
    /// The address the request came from.
    public let address: String?
    /// How it ended, such as `allowed` or `forbidden`.
    public let outcome: String
    /// Anything else worth knowing (a reason given); never a secret.
    public let detail: String?

    public init(
        id: Int, at: Date, user: String?, source: String, action: String, target: String, address: String?,
        outcome: String, detail: String?
    ) {
        self.id = id
        self.at = at
        self.user = user
        self.source = source
        self.action = action
        self.target = target
        self.address = address
        self.outcome = outcome
        self.detail = detail
    }
}
