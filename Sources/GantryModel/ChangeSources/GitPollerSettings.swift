/// What a GitPoller watches and how, with the defaults of Buildbot's `GitPoller`.
public struct GitPollerSettings: Sendable, Hashable {
    /// Which branches are watched.
    public enum Branches: Sendable, Hashable {
        /// The branch the remote's HEAD names: Buildbot's default when `branches` is not given.
        case remoteHead
        /// Every branch (Buildbot's `branches=True`).
        case all
        /// These branches, named without `refs/heads/`.
        case names([String])
        /// The branches whose name (without `refs/heads/`) one of the patterns matches whole.
        case patterns([Pattern])
    }

    /// How git logs in to the remote. Secrets are read at every poll, so a rotated one is used without a
    /// reconfiguration, and they never reach git's command line.
    public enum Credentials: Sendable, Hashable {
        /// HTTP(S) basic authentication, sent as a header scoped to the repository's URL.
        case https(username: String, passwordSecret: String)
        /// An ssh private key, written to a file only the master's user can read.
        case ssh(privateKeySecret: String)
    }

    /// The remote repository; also the `repository` of every change.
    public var repourl: String
    public var branches: Branches
    /// How often the remote is polled.
    public var pollInterval: Duration
    /// Poll once as soon as the poller becomes active, rather than after the first `pollInterval`.
    public var pollAtLaunch: Bool
    public var category: String?
    public var project: String
    /// Watch tags instead of branches; a tag's changes are on the branch `refs/tags/NAME`, as in Buildbot.
    /// Cannot be combined with `branches`.
    public var onlyTags: Bool
    /// A ref that moved to a commit already reported (a branch made from another) yields a change for its head.
    public var buildPushesWithNoCommits: Bool
    /// The poller's copy of the repository, absolute; nil for a directory of its own under the master's basedir.
    public var workdir: String?
    public var credentials: Credentials?

    public init(
        repourl: String, branches: Branches = .remoteHead, pollInterval: Duration = .seconds(600),
        pollAtLaunch: Bool = false, category: String? = nil, project: String = "", onlyTags: Bool = false,
        buildPushesWithNoCommits: Bool = false, workdir: String? = nil, credentials: Credentials? = nil
    ) {
        self.repourl = repourl
        self.branches = branches
        self.pollInterval = pollInterval
        self.pollAtLaunch = pollAtLaunch
        self.category = category
        self.project = project
        self.onlyTags = onlyTags
        self.buildPushesWithNoCommits = buildPushesWithNoCommits
        self.workdir = workdir
        self.credentials = credentials
    }
}
