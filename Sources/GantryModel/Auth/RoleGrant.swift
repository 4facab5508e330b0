/// A role given to users by name and to members of groups (`auth.roles`), so roles need not be repeated on each
/// account, and users a proxy or htpasswd file vouches for get some.
public struct RoleGrant: Sendable, Hashable {
    public var role: String
    public var users: Set<String>
    public var groups: Set<String>

    public init(role: String, users: Set<String> = [], groups: Set<String> = []) {
        self.role = role
        self.users = users
        self.groups = groups
    }

    /// Whether the grant gives its role to `user`, a member of `groups`.
    public func applies(to user: String, groups: Set<String>) -> Bool {
        users.contains(user) || !self.groups.isDisjoint(with: groups)
    }
}
