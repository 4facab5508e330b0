public import Foundation

/// An API token, as stored: whom it acts for and with which roles. Its secret is not here: only its digest is
/// stored, and the secret is shown once, when the token is made.
public struct APIToken: Sendable, Hashable {
    /// The token's number, for listing and revoking it.
    public let id: Int
    /// The user the token acts as: the audit log and a build's owner name them.
    public let user: String
    /// The roles the token carries, whatever the configuration gives the user.
    public let roles: [String]
    /// What the token is for, as its maker wrote it.
    public let description: String
    /// When the token was made.
    public let createdAt: Date
    /// When the token stops working; `nil` for never.
    public let expiresAt: Date?
    /// When the token was last accepted, to the minute; `nil` when it never was.
    public let lastUsedAt: Date?
    /// When the token was revoked; `nil` while it is not.
    public let revokedAt: Date?

    public init(
        id: Int, user: String, roles: [String], description: String, createdAt: Date, expiresAt: Date?,
        lastUsedAt: Date?, revokedAt: Date?
    ) {
        self.id = id
        self.user = user
        self.roles = roles
        self.description = description
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// Whether the token is accepted at `now`: not revoked, and not expired.
    public func isLive(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}
