/// What every scheduler takes, as Buildbot's base scheduler: its builders, the properties it sets, the
/// codebases it builds and the priority of its requests.
public struct SchedulerOptions: Sendable, Hashable {
    public var name: String
    public var builderNames: [String]
    /// Properties given to every buildset; the `scheduler` property is added by the scheduler itself.
    public var properties: [String: JSONValue]
    /// The codebases built, with defaults for those no change or request names. `["": .init()]` unless set.
    public var codebases: [String: CodebaseDefaults]
    public var priority: PriorityRule
    /// The buildset reason; each scheduler type has Buildbot's default.
    public var reason: String?

    public init(
        name: String,
        builderNames: [String],
        properties: [String: JSONValue] = [:],
        codebases: [String: CodebaseDefaults] = ["": CodebaseDefaults()],
        priority: PriorityRule = .fixed(0),
        reason: String? = nil
    ) {
        self.name = name
        self.builderNames = builderNames
        self.properties = properties
        self.codebases = codebases
        self.priority = priority
        self.reason = reason
    }
}

/// The repository, branch and revision a codebase is built at when no change or request says otherwise.
public struct CodebaseDefaults: Sendable, Hashable {
    public var repository: String
    public var branch: String?
    public var revision: String?

    public init(repository: String = "", branch: String? = nil, revision: String? = nil) {
        self.repository = repository
        self.branch = branch
        self.revision = revision
    }
}

/// The priority of a scheduler's build requests: a number, or chosen from the branches of the changes built.
public enum PriorityRule: Sendable, Hashable {
    case fixed(Int)
    /// The highest priority of the first rule matching each change's branch (regular expressions matching the
    /// whole branch name), `otherwise` when none matches or there are no changes.
    case byBranch([BranchPriority], otherwise: Int)

    public struct BranchPriority: Sendable, Hashable {
        public var branch: Pattern
        public var priority: Int

        public init(branch: Pattern, priority: Int) {
            self.branch = branch
            self.priority = priority
        }
    }

    /// The priority for a buildset of these changes.
    public func priority(for changes: [Change]) -> Int {
        switch self {
        case .fixed(let value):
            return value
        case .byBranch(let rules, let otherwise):
            let matched = changes.compactMap { change in
                rules.first { rule in change.branch.map(rule.branch.matchesWhole) ?? false }?.priority
            }
            return matched.max() ?? otherwise
        }
    }
}
