/// Which subjects a reporter reports on, as Buildbot's generators' `builders`, `tags` and `branches`: every
/// list given must match (a builder name, any tag, any source stamp's branch); a missing list matches all.
public struct ReportFilter: Sendable, Hashable {
    /// Builder names or globs (`linux-*`).
    public var builders: [Pattern]?
    /// The subject matches when its builder has any of these tags.
    public var tags: [String]?
    /// Branch names or globs; a source stamp without a branch matches none.
    public var branches: [Pattern]?
    /// For finished builds only: the results reported (pending and running are always reported when the rest
    /// matches).
    public var results: Set<BuildResult>?

    public init(
        builders: [Pattern]? = nil, tags: [String]? = nil, branches: [Pattern]? = nil,
        results: Set<BuildResult>? = nil
    ) {
        self.builders = builders
        self.tags = tags
        self.branches = branches
        self.results = results
    }

    /// Whether `subject` passes every list that is given.
    public func matches(_ subject: ReportSubject) -> Bool {
        if let builders, !builders.contains(where: { $0.matchesWhole(subject.builder.name) }) { return false }
        if let tags, !subject.builder.tags.contains(where: tags.contains) { return false }
        if let branches {
            let stamped = subject.sourceStamps.compactMap(\.branch)
            guard stamped.contains(where: { branch in branches.contains { $0.matchesWhole(branch) } }) else {
                return false
            }
        }
        if let results, let outcome = subject.results, !results.contains(outcome) { return false }
        return true
    }
}
