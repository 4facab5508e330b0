/// A builder's `collapseRequests` (Buildbot's): whether the build started for one request also completes the
/// builder's other pending requests that ask for the same thing, and what "the same" means.
///
/// Buildbot's rule (`BuildRequest.canBeCollapsed`): requests of one buildset always collapse; otherwise the
/// older is collapsed into the newer when they have the same codebases, and per codebase the same repository,
/// branch and project, no patch on either, and either both have changes or neither has and they are at the same
/// revision; and their scheduler's properties (source `Scheduler`, but `scheduler`) are equal.
public struct CollapseRule: Sendable, Hashable {
    /// Whether requests are collapsed at all.
    public var enabled: Bool
    /// Scheduler properties that may differ between requests collapsed together.
    public var ignoreProperties: Set<String>
    /// Whether requests with changes must also be at the same revision (Buildbot compares revisions only when
    /// neither has changes).
    public var sameRevision: Bool

    public init(enabled: Bool = true, ignoreProperties: Set<String> = [], sameRevision: Bool = false) {
        self.enabled = enabled
        self.ignoreProperties = ignoreProperties
        self.sameRevision = sameRevision
    }

    /// `collapseRequests: true`, Buildbot's default: its rule as is.
    public static let always = CollapseRule()
    /// `collapseRequests: false`: every request gets a build of its own.
    public static let never = CollapseRule(enabled: false)

    /// Whether `older` may be completed by a build of `newer` (Buildbot's `canBeCollapsed(newer, older)`).
    public func canCollapse(_ older: CollapseCandidate, into newer: CollapseCandidate) -> Bool {
        guard enabled, older.id != newer.id else { return false }
        if older.buildsetID == newer.buildsetID { return true }
        // Two requests submitted together must not collapse each into the other.
        guard newer.id > older.id, Set(older.sources.keys) == Set(newer.sources.keys) else { return false }
        for (codebase, new) in newer.sources {
            guard let old = older.sources[codebase], sameSource(old, new) else { return false }
        }
        return older.schedulerProperties.filter { !ignoreProperties.contains($0.key) }
            == newer.schedulerProperties.filter { !ignoreProperties.contains($0.key) }
    }

    private func sameSource(_ old: CollapseCandidate.Source, _ new: CollapseCandidate.Source) -> Bool {
        guard old.repository == new.repository, old.branch == new.branch, old.project == new.project,
            !old.patched, !new.patched, old.hasChanges == new.hasChanges
        else { return false }
        return (old.hasChanges && !sameRevision) || old.revision == new.revision
    }

    /// The build to start for `claimed`, which a master is claiming, given its builder's other `pending`
    /// requests: the newest of those `claimed` collapses with runs, so the latest source is built, and every
    /// request that collapses into that one (`claimed` among them, when it is not the newest) is completed with it.
    public func group(for claimed: CollapseCandidate, among pending: [CollapseCandidate]) -> CollapseGroup {
        let others = pending.filter { $0.id != claimed.id }
        let newest = others.filter { canCollapse(claimed, into: $0) || canCollapse($0, into: claimed) }
            .max { $0.id < $1.id }
        guard let newest, newest.id > claimed.id else {
            return CollapseGroup(built: claimed.id, merged: others.filter { canCollapse($0, into: claimed) }.map(\.id))
        }
        let merged = ([claimed] + others).filter { canCollapse($0, into: newest) }.map(\.id)
        return CollapseGroup(built: newest.id, merged: merged)
    }
}
