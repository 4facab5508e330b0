public import GantryModel

/// A master's configuration, as read from its YAML file and validated.
public struct MasterConfig: Sendable, Hashable {
    /// The master's name in the cluster; `<hostname>:<absolute basedir>` unless set.
    public var name: String
    /// The database URL; an SQLite file in the basedir unless set.
    public var database: String
    /// Where the HTTP API listens; `127.0.0.1:8010` (Buildbot's web port) unless set.
    public var http: ListenAddress
    /// How long HTTP clients may take and how many may connect at once.
    public var httpLimits = HTTPLimits()
    /// The certificate the HTTP API is served with (HTTPS); plain HTTP when `nil`.
    public var httpTLS: TLSFiles? = nil
    /// Whether the HTTP API may listen beyond this machine without `auth`, open to anyone who reaches it.
    public var httpInsecure = false
    /// Who may use the HTTP API and for what; `nil` leaves it open to everyone, as before `auth` existed.
    public var auth: AuthSettings? = nil
    public var changeHooks: ChangeHooksConfig
    public var heartbeat: Duration
    public var expireAfter: Duration
    public var claimPoll: Duration
    /// The builders this master runs; registered in the database when the master starts.
    public var builders: [BuilderConfig]
    /// How builders without their own `collapseRequests` collapse requests (Buildbot's `c['collapseRequests']`);
    /// Buildbot's rule unless set.
    public var collapseRequests = CollapseRule.always
    public var schedulers: [SchedulerConfig]
    /// The workers that may connect; with none, no worker port is opened.
    public var workers: [WorkerConfig]
    public var workerPort: WorkerPortConfig
    /// Where `%(secret:NAME)s` in step texts finds its values.
    public var secrets = SecretsConfig()
    /// Workers the master starts and retires with the queue.
    public var pools: [PoolConfig] = []
    /// Where build results are reported: code hosts' commit statuses, HTTP endpoints, mail.
    public var reporters: [ReporterConfig] = []
    /// What notices new commits without a webhook: pollers of repositories.
    public var changeSources: [ChangeSourceConfig] = []
    /// The locks builders and steps may take, held across the cluster (Buildbot's `MasterLock`, `WorkerLock`).
    public var locks: [LockConfig] = []
    /// How long finished builds, their logs and what goes with them are kept; `nil` (the default) keeps
    /// everything, and this master runs no janitor.
    public var retention: RetentionSettings? = nil
    /// Where finished logs are kept: in the database (the default) or in files. Takes effect at the next start.
    public var logStorage: LogStorage = .database
    /// The web UI's address as users reach it (Buildbot's `buildbotURL`), for the links reports carry; the HTTP
    /// API's own address when not set.
    public var publicURL: String? = nil
    /// Web UIs served besides Gantry's own: Buildbot's, from an installed `buildbot-www`. Takes effect at the next
    /// start.
    public var www = WWWConfig()
    /// The configuration file's directory: relative paths of the configuration (and of steps' master-side
    /// files) are taken from here.
    public var basedir = "."

    public init(
        name: String,
        database: String,
        http: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8010),
        changeHooks: ChangeHooksConfig = ChangeHooksConfig(),
        heartbeat: Duration = .seconds(5),
        expireAfter: Duration = .seconds(30),
        claimPoll: Duration = .seconds(5),
        builders: [BuilderConfig] = [],
        schedulers: [SchedulerConfig] = [],
        workers: [WorkerConfig] = [],
        workerPort: WorkerPortConfig = WorkerPortConfig(),
        basedir: String = "."
    ) {
        self.name = name
        self.database = database
        self.http = http
        self.changeHooks = changeHooks
        self.heartbeat = heartbeat
        self.expireAfter = expireAfter
        self.claimPoll = claimPoll
        self.builders = builders
        self.schedulers = schedulers
        self.workers = workers
        self.workerPort = workerPort
        self.basedir = basedir
    }
}

/// Swift's usual print of the configuration, with workers' passwords, hook secrets and the database password as
/// `****`: services holding it are logged at debug, and any value may end up in a dump.
extension MasterConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        let children: KeyValuePairs<String, Any> = [
            "name": name, "database": Redaction.maskingURLPassword(database), "http": http, "httpLimits": httpLimits,
            "httpTLS": httpTLS as Any,
            "httpInsecure": httpInsecure, "auth": auth as Any,
            "changeHooks": changeHooks, "heartbeat": heartbeat, "expireAfter": expireAfter, "claimPoll": claimPoll,
            "builders": builders, "collapseRequests": collapseRequests, "schedulers": schedulers, "workers": workers,
            "workerPort": workerPort,
            "secrets": secrets, "pools": pools, "reporters": reporters, "changeSources": changeSources, "locks": locks,
            "retention": retention as Any, "logStorage": logStorage, "publicURL": publicURL as Any, "www": www,
            "basedir": basedir,
        ]
        return Mirror(self, children: children, displayStyle: .struct)
    }

    public var description: String { Redaction.describe(customMirror) }

    public var debugDescription: String { description }
}

/// One scheduler of the configuration: what every scheduler takes, and what its type adds.
public struct SchedulerConfig: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A buildset every `interval`.
        case periodic(interval: Duration)
        /// Buildbot's `SingleBranchScheduler`.
        case singleBranch(BranchSettings)
        /// Buildbot's `AnyBranchScheduler`.
        case anyBranch(BranchSettings)
        /// Buildbot's `ForceScheduler`, with the parameters it takes besides the built-in ones.
        case force(parameters: [ForceParameter])
        /// Buildbot's `Nightly`.
        case nightly(NightlySettings)
        /// Buildbot's `Dependent`: builds what the upstream scheduler's successful buildsets built.
        case dependent(upstream: String)
        /// Buildbot's `Triggerable`: builds what Trigger steps ask for.
        case triggerable
        /// Buildbot's `NightlyTriggerable`: builds the last trigger at the schedule's next time.
        case nightlyTriggerable(schedule: CronSchedule)

        /// The type's name in the configuration.
        public var typeName: String {
            switch self {
            case .periodic: "periodic"
            case .singleBranch: "singleBranch"
            case .anyBranch: "anyBranch"
            case .force: "force"
            case .nightly: "nightly"
            case .dependent: "dependent"
            case .triggerable: "triggerable"
            case .nightlyTriggerable: "nightlyTriggerable"
            }
        }
    }

    public var options: SchedulerOptions
    public var kind: Kind

    public init(options: SchedulerOptions, kind: Kind) {
        self.options = options
        self.kind = kind
    }

    public init(name: String, builderNames: [String], kind: Kind) {
        self.init(options: SchedulerOptions(name: name, builderNames: builderNames), kind: kind)
    }

    public var name: String { options.name }

    /// Whether Trigger steps may name it.
    public var isTriggerable: Bool {
        switch kind {
        case .triggerable, .nightlyTriggerable: true
        default: false
        }
    }
}

/// What a change-driven scheduler adds: which changes it takes, and how long the tree must be stable.
public struct BranchSettings: Sendable, Hashable {
    public var consumption: ChangeConsumption
    /// `nil` builds every important change at once.
    public var treeStableTimer: Duration?
    /// Buildbot's `createAbsoluteSourceStamps` (singleBranch only).
    public var createAbsoluteSourceStamps: Bool

    public init(
        consumption: ChangeConsumption = ChangeConsumption(),
        treeStableTimer: Duration? = nil,
        createAbsoluteSourceStamps: Bool = false
    ) {
        self.consumption = consumption
        self.treeStableTimer = treeStableTimer
        self.createAbsoluteSourceStamps = createAbsoluteSourceStamps
    }
}

/// What a nightly scheduler adds: its times, and whether only changes make it build.
public struct NightlySettings: Sendable, Hashable {
    public var schedule: CronSchedule
    public var onlyIfChanged: Bool
    public var consumption: ChangeConsumption
    /// Times that build even when `onlyIfChanged` finds nothing new.
    public var forceAt: CronSchedule?
    /// Buildbot's `createAbsoluteSourceStamps`.
    public var createAbsoluteSourceStamps: Bool

    public init(
        schedule: CronSchedule,
        onlyIfChanged: Bool = false,
        consumption: ChangeConsumption = ChangeConsumption(),
        forceAt: CronSchedule? = nil,
        createAbsoluteSourceStamps: Bool = false
    ) {
        self.schedule = schedule
        self.onlyIfChanged = onlyIfChanged
        self.consumption = consumption
        self.forceAt = forceAt
        self.createAbsoluteSourceStamps = createAbsoluteSourceStamps
    }
}

/// Sources of secrets: files in a directory (one per secret, named as it), then environment variables.
public struct SecretsConfig: Sendable, Hashable {
    /// Relative to the configuration file's directory.
    public var directory: String?
    /// A secret NAME is read from the variable PREFIX + NAME.
    public var environmentPrefix: String?

    public init(directory: String? = nil, environmentPrefix: String? = nil) {
        self.directory = directory
        self.environmentPrefix = environmentPrefix
    }
}
