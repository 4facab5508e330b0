import Foundation

/// What a pool runs with: the configuration reads pools into it, and the pool manager runs them.
public struct PoolSettings: Sendable, Hashable {
    /// How the pool's workers are started and stopped.
    public enum Provisioner: Sendable, Hashable {
        /// Native workers as child processes of the master, each with its own base directory, optionally isolated.
        case local(isolation: LocalIsolation = .none)
        /// Shell commands (for VMs, containers, ssh hosts) run with WORKER_NAME, WORKER_PASSWORD and
        /// MASTER_URL in their environment.
        case command(start: String, stop: String)
        /// Containers, through the Docker Engine API (Docker, or podman's compatible service).
        case docker(DockerSettings)
        /// Reusable hosts reached over ssh, each with a capacity (Copr's style).
        case ssh(SSHSettings)

        /// Its type as the configuration names it.
        public var kind: String {
            switch self {
            case .local: "local"
            case .command: "command"
            case .docker: "docker"
            case .ssh: "ssh"
            }
        }

        /// Whether it is a `local` one.
        public var isLocal: Bool {
            if case .local = self { true } else { false }
        }
    }

    /// How a local pool's workers are kept from the master's machine.
    public enum LocalIsolation: String, Sendable, Hashable {
        /// Plain child processes.
        case none
        /// In bubblewrap: a read-only root, a private /tmp, their own PID namespace, ended with the master.
        case bubblewrap
    }

    public var name: String
    /// The builders whose requests the pool's workers serve.
    public var builders: [String]
    public var maxWorkers: Int
    /// Idle workers kept ready.
    public var minIdle: Int
    /// An idle worker beyond `minIdle` is retired after this long.
    public var idleTimeout: Duration
    /// A started worker that has not connected after this long is stopped and counted as a failure.
    public var startTimeout: Duration
    /// The least time between two starts of the pool's workers, so a burst of requests does not start them all
    /// in the same instant.
    public var minStartInterval: Duration
    /// When the master stops, how long builds on the pool's workers may go on before they are interrupted.
    public var terminateGrace: Duration
    /// The most workers starting at once; nil for no limit but `maxWorkers`.
    public var maxStarting: Int?
    /// Builds a worker runs before it is retired (1: an ephemeral worker, one build each); nil for no limit.
    public var maxUses: Int?
    /// A worker older than this is retired once idle; nil for no limit.
    public var maxAge: Duration?
    /// Builds each worker runs at once.
    public var maxBuilds: Int
    public var provisioner: Provisioner
    /// A worker of the pool dying stops the master with an error (Copr's `exit_on_worker`).
    public var exitOnWorker: Bool
    /// A local pool's directory (`basedir/WORKER`), absolute; nil for the provisioner's default.
    public var basedir: String?

    /// The defaults are those of the pools' configuration.
    public init(
        name: String, builders: [String], maxWorkers: Int, minIdle: Int = 0, idleTimeout: Duration = .seconds(300),
        startTimeout: Duration = .seconds(120), minStartInterval: Duration = .zero,
        terminateGrace: Duration = .seconds(30), maxStarting: Int? = nil, maxUses: Int? = nil, maxAge: Duration? = nil,
        maxBuilds: Int = 1, provisioner: Provisioner = .local(), exitOnWorker: Bool = false, basedir: String? = nil
    ) {
        self.name = name
        self.builders = builders
        self.maxWorkers = maxWorkers
        self.minIdle = minIdle
        self.idleTimeout = idleTimeout
        self.startTimeout = startTimeout
        self.minStartInterval = minStartInterval
        self.terminateGrace = terminateGrace
        self.maxStarting = maxStarting
        self.maxUses = maxUses
        self.maxAge = maxAge
        self.maxBuilds = maxBuilds
        self.provisioner = provisioner
        self.exitOnWorker = exitOnWorker
        self.basedir = basedir
    }

    /// The names of its workers: `NAME-1` to `NAME-maxWorkers`.
    public var workerNames: [String] { (1...max(maxWorkers, 1)).map { "\(name)-\($0)" } }

    /// Whether `path` is `directory` or lies under it, symbolic links resolved (a link must not get a pool's
    /// workers into the configuration directory).
    public static func lies(_ path: String, inside directory: String) -> Bool {
        resolved(path).starts(with: resolved(directory))
    }

    /// The components of `path`, absolute, with links resolved in the part that exists (Foundation resolves
    /// none in a path that does not exist yet).
    private static func resolved(_ path: String) -> [String] {
        var existing = URL(fileURLWithPath: path).standardizedFileURL
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.pathComponents.count > 1 {
            rest.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()
        }
        return existing.resolvingSymlinksInPath().pathComponents + rest
    }
}
