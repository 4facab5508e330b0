/// Who may do what: ordered rules, the first matching one deciding (Buildbot's meaning), and what anonymous
/// callers may see.
public struct AccessPolicy: Sendable, Hashable {
    /// What callers who did not log in may do.
    public enum Anonymous: String, Sendable, Hashable {
        /// See everything; control actions still need a rule.
        case read
        /// Nothing: every request must be authenticated.
        case none
    }

    public var rules: [AccessRule]
    public var anonymous: Anonymous
    /// Whether every caller may do everything: a master without `auth`, as masters were before it.
    public var isOpen: Bool

    /// Every control action for `admin`, and nothing else: reading is left to `anonymous`.
    public static let defaultRules = [AccessRule(actions: AccessAction.control, roles: ["admin"])]

    /// No auth configured: everything allowed to everyone.
    public static let open = AccessPolicy(rules: [], anonymous: .read, isOpen: true)

    public init(rules: [AccessRule] = AccessPolicy.defaultRules, anonymous: Anonymous = .read) {
        self.init(rules: rules, anonymous: anonymous, isOpen: false)
    }

    private init(rules: [AccessRule], anonymous: Anonymous, isOpen: Bool) {
        self.rules = rules
        self.anonymous = anonymous
        self.isOpen = isOpen
    }

    /// Whether `caller` may do `action` on `target`.
    ///
    /// `view` is allowed to everyone when `anonymous` is `read`: logging in never shows less. With `none`, an
    /// anonymous caller must log in, and for a known one the first rule matching `view` decides (without one it
    /// is allowed). Any other action needs the first matching rule to grant it; otherwise an anonymous caller
    /// must log in and a known one is forbidden.
    public func decide(_ action: AccessAction, on target: AccessTarget, for caller: Caller) -> AccessDecision {
        if isOpen { return .allowed }
        if action == .view {
            if anonymous == .read { return .allowed }
            if caller.isAnonymous { return .unauthenticated }
            guard let rule = rules.first(where: { $0.matches(.view, target) }) else { return .allowed }
            return rule.grants(caller, target) ? .allowed : .forbidden
        }
        if let rule = rules.first(where: { $0.matches(action, target) }), rule.grants(caller, target) {
            return .allowed
        }
        return caller.isAnonymous ? .unauthenticated : .forbidden
    }

    /// How far `action` reaches for `caller`, for `whoami` and the UI: `.all` when it is allowed on any target,
    /// `.some` when some rule could grant it (one restricted to some names, or granting it through `owner`),
    /// `.none` otherwise.
    public func reach(_ action: AccessAction, for caller: Caller) -> AccessReach {
        if isOpen { return .all }
        if action == .view && anonymous == .read { return .all }
        if action == .view && caller.isAnonymous { return .none }
        // Restricted rules grant or refuse some targets; the first unrestricted rule decides all the others.
        var grantsSome = false
        var refusesSome = false
        for rule in rules where rule.actions.contains(action) {
            let byRole = !rule.roles.isDisjoint(with: caller.roles)
            let byOwnership = rule.roles.contains(AccessRule.ownerRole) && caller.user != nil
            if rule.isRestricted {
                if byRole || byOwnership { grantsSome = true } else { refusesSome = true }
                continue
            }
            if byRole { return refusesSome ? .some : .all }
            return byOwnership || grantsSome ? .some : .none
        }
        // No rule decides the remaining targets: `view` is allowed there, anything else refused.
        if action == .view { return refusesSome ? .some : .all }
        return grantsSome ? .some : .none
    }
}
