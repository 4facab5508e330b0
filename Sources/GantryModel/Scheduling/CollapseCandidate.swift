/// A build request as collapsing compares it: its buildset, the source stamp of each codebase, and the
/// properties its scheduler set.
public struct CollapseCandidate: Sendable, Hashable {
    /// One codebase of the request's buildset, as collapsing compares it.
    public struct Source: Sendable, Hashable {
        public var repository: String
        public var branch: String?
        public var project: String
        public var revision: String?
        /// Whether a patch is applied (a try build): such a request is never collapsed.
        public var patched: Bool
        /// Whether changes were recorded on the source stamp; requests with changes are compared by their
        /// presence, those without by revision.
        public var hasChanges: Bool

        public init(
            repository: String = "", branch: String? = nil, project: String = "", revision: String? = nil,
            patched: Bool = false, hasChanges: Bool = false
        ) {
            self.repository = repository
            self.branch = branch
            self.project = project
            self.revision = revision
            self.patched = patched
            self.hasChanges = hasChanges
        }
    }

    /// The request's id: a higher one is newer.
    public var id: Int
    public var buildsetID: Int
    /// The buildset's source stamps by codebase.
    public var sources: [String: Source]
    /// The values of the buildset's properties whose source is `Scheduler`, but `scheduler` itself: the ones
    /// Buildbot compares.
    public var schedulerProperties: [String: JSONValue]

    /// A candidate from its buildset's properties, given as `name: [value, source]` (Buildbot's shape).
    public init(
        id: Int, buildsetID: Int, sources: [String: Source] = [:], buildsetProperties: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.buildsetID = buildsetID
        self.sources = sources
        schedulerProperties = buildsetProperties.filter {
            $0.key != "scheduler" && $0.value.elements.dropFirst().first?.string == "Scheduler"
        }.mapValues { $0.elements.first ?? .null }
    }
}
