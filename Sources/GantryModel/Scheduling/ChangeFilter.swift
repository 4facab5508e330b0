/// Which changes a scheduler looks at, as Buildbot's `ChangeFilter`: every criterion given must hold.
///
/// Each of project, repository, branch, category and codebase takes rules; a change's value must satisfy all
/// of them. Property rules apply to the change's properties. A `nil` value in an `equal` rule on the branch
/// means the default branch, so `branch: null` selects changes made on it.
public struct ChangeFilter: Sendable, Hashable {
    /// One condition on a value.
    public enum Rule: Sendable, Hashable {
        /// The value is one of these.
        case equal([String?])
        /// The value is none of these.
        case notEqual([String?])
        /// The regular expression matches at the start of the value (Python's `re.match`), as Buildbot's `X_re`.
        case matches(Pattern)
        /// The regular expression does not match at the start of the value.
        case notMatches(Pattern)

        /// Whether `value` (absent is `nil`) satisfies the rule; a pattern never matches an absent value.
        public func accepts(_ value: String?) -> Bool {
            switch self {
            case .equal(let values): values.contains(value)
            case .notEqual(let values): !values.contains(value)
            case .matches(let pattern): value.map(pattern.matchesPrefix) ?? false
            case .notMatches(let pattern): !(value.map(pattern.matchesPrefix) ?? false)
            }
        }
    }

    public enum Field: String, Sendable, Hashable, CaseIterable {
        case project, repository, branch, category, codebase
    }

    public var rules: [Field: [Rule]]
    /// Rules on the change's properties, by property name.
    public var propertyRules: [String: [Rule]]

    public init(rules: [Field: [Rule]] = [:], propertyRules: [String: [Rule]] = [:]) {
        self.rules = rules
        self.propertyRules = propertyRules
    }

    /// Whether the change passes every rule.
    public func accepts(_ change: Change) -> Bool {
        for (field, fieldRules) in rules {
            let value = Self.value(of: field, in: change)
            guard fieldRules.allSatisfy({ $0.accepts(value) }) else { return false }
        }
        for (name, propertyRules) in propertyRules {
            let value = change.properties[name].map(\.propertyText)
            guard propertyRules.allSatisfy({ $0.accepts(value) }) else { return false }
        }
        return true
    }

    private static func value(of field: Field, in change: Change) -> String? {
        switch field {
        case .project: change.project
        case .repository: change.repository
        case .branch: change.branch
        case .category: change.category
        case .codebase: change.codebase
        }
    }
}

extension JSONValue {
    /// The text a property filter compares: the value of a stored `[value, source]` pair, strings as they are,
    /// other values as JSON.
    var propertyText: String {
        switch self {
        case .array(let pair) where pair.count == 2 && pair[1].string != nil: pair[0].propertyText
        case .string(let text): text
        default: jsonText
        }
    }
}
