/// One authorization rule: which actions on which targets it covers, and which roles it grants them to.
///
/// Rules are tried in order and the first that matches decides, as Buildbot's `allowRules` do: a rule that
/// matches but does not grant refuses, even when a later rule would have granted.
public struct AccessRule: Sendable, Hashable {
    /// The pseudo-role a caller has on the builds and buildsets it owns.
    public static let ownerRole = "owner"

    public var actions: Set<AccessAction>
    /// Globs a target's builder must match; empty matches any target.
    public var builders: [Pattern]
    /// Globs a target's scheduler must match; empty matches any target.
    public var schedulers: [Pattern]
    /// Globs a target's worker must match; empty matches any target.
    public var workers: [Pattern]
    /// The roles granted the actions; `owner` grants them on the caller's own builds.
    public var roles: Set<String>

    public init(
        actions: Set<AccessAction>, builders: [Pattern] = [], schedulers: [Pattern] = [], workers: [Pattern] = [],
        roles: Set<String>
    ) {
        self.actions = actions
        self.builders = builders
        self.schedulers = schedulers
        self.workers = workers
        self.roles = roles
    }

    /// A rule's lists of globs, by their key in the configuration, each matched against one name of the target.
    public enum Globs: String, Sendable, Hashable, CaseIterable {
        case builders, schedulers, workers
    }

    /// The globs of `list`.
    public func patterns(_ list: Globs) -> [Pattern] {
        switch list {
        case .builders: builders
        case .schedulers: schedulers
        case .workers: workers
        }
    }

    /// Whether the rule restricts the targets it matches by a name, rather than matching every target.
    public var isRestricted: Bool { !builders.isEmpty || !schedulers.isEmpty || !workers.isEmpty }

    /// Whether the rule applies to `action` on `target`: each non-empty glob list must match the target's
    /// corresponding name, and a target without that name does not match a rule that restricts it.
    public func matches(_ action: AccessAction, _ target: AccessTarget) -> Bool {
        actions.contains(action) && Self.matches(builders, target.builder)
            && Self.matches(schedulers, target.scheduler) && Self.matches(workers, target.worker)
    }

    /// Whether the rule grants `caller` what it covers on `target`: a role in common, or `owner` when the caller
    /// is the target's owner.
    public func grants(_ caller: Caller, _ target: AccessTarget) -> Bool {
        if !roles.isDisjoint(with: caller.roles) { return true }
        guard roles.contains(Self.ownerRole), let user = caller.user else { return false }
        return user == target.owner
    }

    private static func matches(_ patterns: [Pattern], _ name: String?) -> Bool {
        guard !patterns.isEmpty else { return true }
        guard let name else { return false }
        return patterns.contains { $0.matchesWhole(name) }
    }
}
