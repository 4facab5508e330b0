/// The requests one build runs for.
public struct CollapseGroup: Sendable, Hashable {
    /// The request the build runs.
    public var built: Int
    /// The requests collapsed into it, by id: completed SKIPPED when its build ends, handed back with it.
    public var merged: [Int]

    public init(built: Int, merged: [Int]) {
        self.built = built
        self.merged = merged.sorted()
    }
}
