/// How a change-driven scheduler chooses and weighs changes: Buildbot's `change_filter`, `fileIsImportant`
/// and `onlyImportant`.
public struct ChangeConsumption: Sendable, Hashable {
    /// `nil` accepts every change.
    public var filter: ChangeFilter?
    /// `nil` makes every change important.
    public var importance: FileImportance?
    /// Drop unimportant changes instead of passing them on as unimportant.
    public var onlyImportant: Bool

    public init(filter: ChangeFilter? = nil, importance: FileImportance? = nil, onlyImportant: Bool = false) {
        self.filter = filter
        self.importance = importance
        self.onlyImportant = onlyImportant
    }
}

/// Which files make a change important: at least one file matching `include` (every file when empty) and
/// not matching `exclude`. A change that lists no files is important. Patterns are globs or `re:` regular
/// expressions (`Pattern(glob:)`) and match whole paths, so `docs/*` covers everything under `docs/`.
public struct FileImportance: Sendable, Hashable {
    public var include: [Pattern]
    public var exclude: [Pattern]

    public init(include: [Pattern] = [], exclude: [Pattern] = []) {
        self.include = include
        self.exclude = exclude
    }

    public func isImportant(_ change: Change) -> Bool {
        guard !change.files.isEmpty else { return true }
        return change.files.contains { file in
            (include.isEmpty || include.contains { $0.matchesWhole(file) })
                && !exclude.contains { $0.matchesWhole(file) }
        }
    }
}
