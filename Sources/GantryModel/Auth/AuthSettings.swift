/// How a master with `auth` knows its callers, and what it lets them do.
public struct AuthSettings: Sendable, Hashable {
    /// Password users by name: the configuration's and the htpasswd file's.
    public var users: [String: UserAccount]
    public var proxy: ProxyAuthSettings?
    public var grants: [RoleGrant]
    public var policy: AccessPolicy
    /// How long a login lasts without use; each use extends it.
    public var sessionLifetime: Duration

    public init(
        users: [String: UserAccount] = [:], proxy: ProxyAuthSettings? = nil, grants: [RoleGrant] = [],
        policy: AccessPolicy = AccessPolicy(), sessionLifetime: Duration = .seconds(43_200)
    ) {
        self.users = users
        self.proxy = proxy
        self.grants = grants
        self.policy = policy
        self.sessionLifetime = sessionLifetime
    }

    /// The roles of `user`, a member of `groups`: its account's roles, and those of each grant naming the user,
    /// one of `groups` or one of the account's own groups.
    public func roles(of user: String, groups: Set<String> = []) -> Set<String> {
        let account = users[user]
        let allGroups = groups.union(account?.groups ?? [])
        var roles = account?.roles ?? []
        for grant in grants where grant.applies(to: user, groups: allGroups) {
            roles.insert(grant.role)
        }
        return roles
    }

    /// The caller `user` is, proved by `source`, with its roles.
    public func caller(_ user: String, groups: Set<String> = [], source: Caller.Source) -> Caller {
        Caller(user: user, roles: roles(of: user, groups: groups), source: source)
    }
}
