/// Who made a request: a user with the roles the configuration gives it, or nobody known. `user == nil` is
/// anonymous.
public struct Caller: Sendable, Hashable {
    /// How the caller proved who it is, for the audit log and `whoami`.
    public enum Source: String, Sendable, Hashable {
        /// Nothing proved: no credentials were sent.
        case anonymous
        /// A user name and password (HTTP Basic, or the login form).
        case password
        /// A session cookie from an earlier login.
        case session
        /// An API token (`Authorization: Bearer gtk_...`).
        case token
        /// A trusted reverse proxy's headers.
        case proxy
        /// No `auth` in the configuration: nobody is asked who they are.
        case open
    }

    public var user: String?
    public var roles: Set<String>
    public var source: Source

    public init(user: String?, roles: Set<String>, source: Source) {
        self.user = user
        self.roles = roles
        self.source = source
    }

    /// A caller that sent no credentials.
    public static let anonymous = Caller(user: nil, roles: [], source: .anonymous)
    /// Every caller of a master without `auth`.
    public static let open = Caller(user: nil, roles: [], source: .open)

    /// Whether nobody is known: anonymous callers, and every caller of an open master.
    public var isAnonymous: Bool { user == nil }
}
