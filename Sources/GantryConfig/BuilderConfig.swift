public import GantryModel

/// A builder of this master: the workers that may run its builds, the steps of each build and its properties.
public struct BuilderConfig: Sendable, Hashable {
    public var name: String
    public var workers: [String]
    public var steps: [Step]
    public var description: String?
    /// Properties every build of the builder starts with (source "Builder").
    public var properties: [String: JSONValue] = [:]
    public var tags: [String] = []
    /// Which pending requests a build of the builder also completes (Buildbot's `collapseRequests`); `nil`
    /// takes the configuration's.
    public var collapseRequests: CollapseRule? = nil
    /// The locks each build holds from before its first step to its end (Buildbot's builder `locks`).
    public var locks: [LockAccess] = []

    public init(name: String, workers: [String] = [], steps: [Step] = [], description: String? = nil) {
        self.name = name
        self.workers = workers
        self.steps = steps
        self.description = description
    }
}
