public import Foundation

/// A browser's login, as stored; its secret, the `gantry_session` cookie, is not here: only its digest is stored.
public struct WebSession: Sendable, Hashable {
    /// The session's number.
    public let id: Int
    /// The user who logged in.
    public let user: String
    /// What the user's credential was when they logged in (a digest of their password's hash): a session whose
    /// user has since changed password is not accepted.
    public let credential: String
    /// When the user logged in.
    public let createdAt: Date
    /// When the session ends unless used; each use in its second half moves it a lifetime away.
    public let expiresAt: Date
    /// The address the login came from, for the audit log.
    public let address: String?

    public init(id: Int, user: String, credential: String, createdAt: Date, expiresAt: Date, address: String?) {
        self.id = id
        self.user = user
        self.credential = credential
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.address = address
    }
}
