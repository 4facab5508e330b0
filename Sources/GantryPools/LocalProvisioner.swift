public import Foundation
public import GantryModel
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Native workers as child processes of the master (`gantry worker`), each in `basedir/NAME`. They are started
/// through swift-subprocess, which gives them a clean signal mask, so SIGTERM reaches them, and they stop by
/// themselves when the master is gone (even SIGKILLed).
///
/// Their steps run as the master's user, so the workers get little of the master: only `passedVariables` of its
/// environment, and a base directory outside its configuration and secrets directories. With bubblewrap
/// isolation, each runs in `bwrap`: the root read-only, a private /tmp, its own directory the only one it writes,
/// its own PID namespace, and ended with the master.
///
/// A master taking the pool over has nothing to reap: local workers end with the master that started them.
public struct LocalProvisioner: WorkerProvisioner {
    /// What the workers run: `gantry-worker`, or `gantry` itself as `gantry worker`.
    public let executable: String
    /// The pool's directory: each worker's is `basedir/NAME`.
    public let basedir: URL
    /// Directories `basedir` must not lie in: the master's configuration and secrets.
    public let protectedDirectories: [String]
    /// The master's environment, of which the workers get `passedVariables`.
    let environment: [String: String]
    /// How the workers are kept from the master's machine.
    public let isolation: PoolSettings.LocalIsolation

    /// What a worker keeps of the master's environment: what programs need to run (and the worker's log level).
    /// Steps run whatever the builders say, so the secret store's variables and the master's credentials stay out.
    static let passedVariables: Set<String> = [
        "PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL", "GANTRY_LOG_LEVEL",
    ]

    /// - Parameter environment: The master's, of which the workers get `passedVariables`.
    public init(
        executable: String, basedir: URL, protectedDirectories: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        isolation: PoolSettings.LocalIsolation = .none
    ) {
        self.executable = executable
        self.basedir = basedir
        self.protectedDirectories = protectedDirectories
        self.environment = environment
        self.isolation = isolation
    }

    /// The provisioner of local pool `pool`: its workers in the pool's `basedir`, else in
    /// ``defaultBasedir(pool:configurationDirectory:)``, and never in the configuration or secrets directory.
    public init(
        executable: String, pool: PoolSettings, configurationDirectory: String, secretsDirectory: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.init(
            executable: executable,
            basedir: pool.basedir.map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? Self.defaultBasedir(pool: pool.name, configurationDirectory: configurationDirectory),
            protectedDirectories: [configurationDirectory, secretsDirectory].compactMap { $0 },
            environment: environment, isolation: Self.isolation(of: pool))
    }

    /// What a master's local pools run: `gantry-worker` where it lies beside `gantry` (it maps a fraction of
    /// the memory, having neither the master's code nor all of Foundation), else `gantry` itself.
    public static func workerExecutable(beside gantry: String) -> String {
        let standalone = URL(fileURLWithPath: gantry).deletingLastPathComponent().appendingPathComponent(
            "gantry-worker"
        ).path
        return FileManager.default.isExecutableFile(atPath: standalone) ? standalone : gantry
    }

    private static func isolation(of pool: PoolSettings) -> PoolSettings.LocalIsolation {
        if case .local(let isolation) = pool.provisioner { isolation } else { .none }
    }

    public var kind: String { "local" }

    /// Where a pool's workers live unless it sets a `basedir`: `TMPDIR/gantry-pools-UID/CONFIGDIR-HASH/POOL`, so
    /// masters sharing a configuration directory share their workers' directories too.
    public static func defaultBasedir(pool: String, configurationDirectory: String) -> URL {
        let path = URL(fileURLWithPath: configurationDirectory, isDirectory: true).standardizedFileURL.path
        // FNV-1a, as Hasher is seeded anew in every process.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let name = String(URL(fileURLWithPath: path).lastPathComponent.prefix(64)).replacingOccurrences(
            of: "/", with: "")
        return temporaryRoot.appendingPathComponent("\(name)-\(String(hash, radix: 16))", isDirectory: true)
            .appendingPathComponent(pool, isDirectory: true)
    }

    /// The master's user's directory in the system's temporary directory.
    static var temporaryRoot: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gantry-pools-\(getuid())", isDirectory: true)
    }

    /// Nothing: a local worker ends with the master that started it (`--exit-with-parent`).
    public func reap(instanceID: String?, labels: [String: String]) async throws {}

    public func start(_ request: InstanceRequest) async throws -> any ProvisionedWorker {
        let (name, password, master) = (request.name, request.password, request.master)
        if let directory = protectedDirectories.first(where: { PoolSettings.lies(basedir.path, inside: $0) }) {
            throw LocalProvisionerError.basedirInside(basedir: basedir.path, directory: directory)
        }
        let root = Self.temporaryRoot
        if PoolSettings.lies(basedir.path, inside: root.path) { try Self.makePrivate(root) }
        let directory = basedir.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let passwordFile = directory.appendingPathComponent(".password")
        try (password + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
        let subcommand = URL(fileURLWithPath: executable).lastPathComponent == "gantry-worker" ? [] : ["worker"]
        let arguments =
            subcommand + [
                "--master", master, "--name", name, "--password-file", passwordFile.path, "--basedir",
                directory.appendingPathComponent("work").path, "--exit-with-parent",
            ]
        let configuration: Configuration
        switch isolation {
        case .none:
            configuration = Configuration(
                executable: .path(FilePath(executable)), arguments: Arguments(arguments),
                environment: .custom(Self.workerEnvironment(environment)))
        case .bubblewrap:
            guard let bwrap = Self.bubblewrap(in: environment) else {
                throw ProvisionerError(
                    .permanent, "the pool isolates its workers with bubblewrap, but bwrap is not installed")
            }
            configuration = Configuration(
                executable: .path(FilePath(bwrap)),
                arguments: Arguments(
                    Self.bubblewrapArguments(
                        directory: directory.path, hidden: protectedDirectories + [basedir.path])
                        + [executable] + arguments),
                environment: .custom(Self.workerEnvironment(environment)))
        }
        let log = directory.appendingPathComponent("worker.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileDescriptor.open(FilePath(log.path), .writeOnly, options: [.append])
        let worker = LocalWorker(executable: executable)
        let (started, didStart) = AsyncStream<Void>.makeStream()
        Task {
            do {
                _ = try await Subprocess.run(
                    configuration, input: .none, output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                    error: .combinedWithOutput
                ) { execution in
                    worker.pid.store(execution.processIdentifier.value, ordering: .relaxed)
                    didStart.yield()
                }
            } catch {
                // Before the spawn, why the worker did not start; after it, the process is gone either way.
                worker.startFailure.withLock { $0 = "\(error)" }
            }
            worker.exited.store(true, ordering: .relaxed)
            didStart.finish()
        }
        // Waited for in a task of its own: a cancelled caller must still get the worker it started, to stop it.
        await Task { for await _ in started { break } }.value
        guard worker.pid.load(ordering: .relaxed) != 0 else {
            let reason: String? = worker.startFailure.withLock { $0 }
            throw LocalProvisionerError.notStarted(executable: executable, reason: reason ?? "it did not start")
        }
        return worker
    }

    /// bwrap's options: the whole root read-only with a private /tmp and /dev, a new /proc for the worker's own
    /// PID namespace, `hidden` directories (the master's configuration and secrets, the pool's other workers)
    /// replaced by empty ones, the worker's own directory writable, and the worker ended when the master is.
    static func bubblewrapArguments(directory: String, hidden: [String]) -> [String] {
        ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
            + hidden.flatMap { ["--tmpfs", $0] }
            + ["--bind", directory, directory, "--unshare-pid", "--die-with-parent", "--"]
    }

    /// The `bwrap` executable on the master's PATH.
    package static func bubblewrap(in environment: [String: String]) -> String? {
        (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/bwrap" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `passedVariables` and `LC_*` of `environment`.
    static func workerEnvironment(_ environment: [String: String]) -> [Environment.Key: String] {
        var passed: [Environment.Key: String] = [:]
        for (name, value) in environment where passedVariables.contains(name) || name.hasPrefix("LC_") {
            passed[Environment.Key(stringLiteral: name)] = value
        }
        return passed
    }

    /// Makes `directory`, in the temporary directory where anyone may create names, the master's user's own:
    /// created with mode 0700, and refused when it is a link, another user's, or open to others.
    static func makePrivate(_ directory: URL) throws {
        // It may exist already; whatever is there is checked below, and anything else is refused.
        try? FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        var info = stat()
        guard lstat(directory.path, &info) == 0, (info.st_mode & numericCast(S_IFMT)) == numericCast(S_IFDIR),
            info.st_uid == getuid(), (info.st_mode & 0o077) == 0
        else { throw LocalProvisionerError.unsafeDirectory(directory.path) }
    }
}

enum LocalProvisionerError: ProvisionerFailure {
    case basedirInside(basedir: String, directory: String)
    case unsafeDirectory(String)
    case notStarted(executable: String, reason: String)

    var description: String {
        switch self {
        case .basedirInside(let basedir, let directory):
            "the pool's directory \(basedir) lies in the master's configuration or secrets directory \(directory)"
        case .unsafeDirectory(let path):
            "\(path) is a link, another user's, or open to others: remove it, or set the pool's basedir"
        case .notStarted: "the worker process could not be started; the master's log has the details"
        }
    }
}

/// The system's reason a worker process did not start goes to the master's log only.
extension LocalProvisionerError: CustomDebugStringConvertible {
    var debugDescription: String {
        switch self {
        case .notStarted(let executable, let reason): "cannot start a worker with \(executable): \(reason)"
        case .basedirInside, .unsafeDirectory: description
        }
    }
}

/// A `gantry-worker` (or `gantry worker`) child process, or the `bwrap` running one.
final class LocalWorker: ProvisionedWorker {
    let pid = Atomic<pid_t>(0)
    let exited = Atomic<Bool>(false)
    /// Why the process could not be spawned, if it could not.
    let startFailure = Mutex<String?>(nil)
    /// The worker's executable, to find it under bwrap.
    let executable: String

    init(executable: String) {
        self.executable = executable
    }

    var instanceID: String? { "pid \(pid.load(ordering: .relaxed))" }

    var hasExited: Bool { exited.load(ordering: .relaxed) }

    /// SIGTERM to the worker (the worker interrupts its commands and waits for them), then SIGKILL after 10 s.
    /// Under bwrap, which passes no signal on, the SIGTERM goes to the worker it runs.
    func stop() async {
        // Its pid may name another process once it has exited.
        guard !hasExited else { return }
        let pid = pid.load(ordering: .relaxed)
        kill(Self.descendant(of: pid, running: executable) ?? pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while !hasExited, clock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if !hasExited { kill(pid, SIGKILL) }
        while !hasExited { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

extension LocalWorker {
    /// The first process under `pid` (itself included) whose executable is `executable`, by the kernel's lists
    /// of children.
    static func descendant(of pid: pid_t, running executable: String) -> pid_t? {
        var queue = [pid]
        var seen: Set<pid_t> = []
        while !queue.isEmpty {
            let next = queue.removeFirst()
            guard seen.insert(next).inserted, seen.count < 64 else { continue }
            let exe = URL(fileURLWithPath: "/proc/\(next)/exe").resolvingSymlinksInPath().path
            if exe == URL(fileURLWithPath: executable).resolvingSymlinksInPath().path { return next }
            let children = (try? String(contentsOfFile: "/proc/\(next)/task/\(next)/children", encoding: .utf8)) ?? ""
            queue += children.split(separator: " ").compactMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return nil
    }
}
