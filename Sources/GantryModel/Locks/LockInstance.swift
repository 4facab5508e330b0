/// One lock as builds contend for it: a master lock, or one worker's copy of a worker lock.
public struct LockInstance: Sendable, Hashable, Comparable {
    /// The lock's name in the configuration.
    public var name: String
    /// Empty for a master lock; the worker's name for a worker lock.
    public var scope: String

    public init(name: String, scope: String) {
        self.name = name
        self.scope = scope
    }

    /// By name, then scope: the order in which locks are taken.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.name, lhs.scope) < (rhs.name, rhs.scope)
    }
}
