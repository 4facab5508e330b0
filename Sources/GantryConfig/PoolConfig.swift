import Foundation

/// A pool of workers the master starts and retires with the queue of its builders.
public struct PoolConfig: Sendable, Hashable {
    /// How the pool's workers are started and stopped.
    public enum Provisioner: Sendable, Hashable {
        /// Native workers as child processes of the master, each with its own base directory.
        case local
        /// Shell commands (for VMs, containers, ssh hosts) run with WORKER_NAME, WORKER_PASSWORD and
        /// MASTER_URL in their environment.
        case command(start: String, stop: String)
    }

    public var name: String
    /// The builders whose requests the pool's workers serve.
    public var builders: [String]
    public var maxWorkers: Int
    /// Idle workers kept ready.
    public var minIdle = 0
    /// An idle worker beyond `minIdle` is retired after this long.
    public var idleTimeout = Duration.seconds(300)
    /// A started worker that has not connected after this long is stopped and counted as a failure.
    public var startTimeout = Duration.seconds(120)
    /// The least time between two starts of the pool's workers, so a burst of requests does not start them all
    /// in the same instant (a cloud API's rate limit, a host's boot storm).
    public var minStartInterval = Duration.zero
    /// When the master stops, how long builds on the pool's workers may go on before they are interrupted (their
    /// requests then wait for another master).
    public var terminateGrace = Duration.seconds(30)
    public var provisioner = Provisioner.local
    /// A worker of the pool dying stops the master with an error (Copr's `exit_on_worker`), for setups where
    /// that means something is broken.
    public var exitOnWorker = false
    /// A local pool's directory (`basedir/WORKER`), absolute; nil for the provisioner's default. Never inside the
    /// configuration or secrets directory, which steps could otherwise reach by a relative path.
    public var basedir: String?

    public init(name: String, builders: [String], maxWorkers: Int) {
        self.name = name
        self.builders = builders
        self.maxWorkers = maxWorkers
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
