/// One configured change source: what it watches, under a name its claim and its state are kept by.
public struct ChangeSourceConfig: Sendable, Hashable {
    /// The kinds of change source, each with its own settings.
    public enum Kind: Sendable, Hashable {
        /// Buildbot's `GitPoller`: a remote git repository polled for new commits.
        case gitPoller(GitPollerSettings)

        /// The name users write in `type:`.
        public var typeName: String {
            switch self {
            case .gitPoller: "gitpoller"
            }
        }
    }

    /// Unique among change sources; Buildbot's GitPoller defaults it to the repository URL.
    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}
