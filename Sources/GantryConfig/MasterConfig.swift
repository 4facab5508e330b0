/// A master's configuration, as read from its YAML file and validated.
public struct MasterConfig: Sendable, Hashable {
    /// The master's name in the cluster; `<hostname>:<absolute basedir>` unless set.
    public var name: String
    /// The database URL; an SQLite file in the basedir unless set.
    public var database: String
    /// Where the HTTP API listens; `127.0.0.1:8010` (Buildbot's web port) unless set.
    public var http: ListenAddress
    public var changeHooks: ChangeHooksConfig
    public var heartbeat: Duration
    public var expireAfter: Duration
    public var claimPoll: Duration
    public var schedulers: [SchedulerConfig]

    public init(
        name: String,
        database: String,
        http: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8010),
        changeHooks: ChangeHooksConfig = ChangeHooksConfig(),
        heartbeat: Duration = .seconds(5),
        expireAfter: Duration = .seconds(30),
        claimPoll: Duration = .seconds(5),
        schedulers: [SchedulerConfig] = []
    ) {
        self.name = name
        self.database = database
        self.http = http
        self.changeHooks = changeHooks
        self.heartbeat = heartbeat
        self.expireAfter = expireAfter
        self.claimPoll = claimPoll
        self.schedulers = schedulers
    }
}

/// One scheduler of the configuration.
public struct SchedulerConfig: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A buildset every `interval`.
        case periodic(interval: Duration)
    }

    public var name: String
    public var builderNames: [String]
    public var kind: Kind

    public init(name: String, builderNames: [String], kind: Kind) {
        self.name = name
        self.builderNames = builderNames
        self.kind = kind
    }
}
