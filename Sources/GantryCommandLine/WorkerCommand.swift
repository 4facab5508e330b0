public import ArgumentParser
import GantryNativeWorker
import UnixSignals

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// `gantry worker`, and the `gantry-worker` executable: the native worker.
public struct WorkerCommand: AsyncParsableCommand {
    public static let configuration: CommandConfiguration = described(as: "worker")

    /// The command's description under `name`.
    public static func described(as name: String) -> CommandConfiguration {
        CommandConfiguration(
            commandName: name,
            abstract: "Run a native worker for a Gantry (or Buildbot 4.3) master.",
            discussion: """
                The worker connects to the master's worker port with Buildbot's msgpack protocol (HTTP Basic \
                credentials on the WebSocket upgrade), runs the commands the master sends in directories under \
                --basedir, and connects again with backoff (1 s doubling to a minute) whenever the connection \
                ends. Files in BASEDIR/info (admin, host, access_uri) are reported to the master, as a \
                buildbot-worker reports them. An interrupted command gets SIGTERM on its whole process group, \
                then SIGKILL 5 s later; SIGTERM or SIGINT stops the worker the same way, so nothing it started \
                outlives it. The master may also shut it down.

                With --tls the connection is TLS, as buildbot-worker's --use-tls: the master's certificate must \
                come from a CA of --ca (else one the system trusts) and name the host of --master. A worker port \
                that requires client certificates takes the one of --cert and --key.

                In a container, the worker may take its master, name and password from MASTER_URL, WORKER_NAME \
                and WORKER_PASSWORD instead, as a pool's docker provisioner sets them. WORKER_PASSWORD is removed \
                from the environment once read, so the worker's steps do not inherit it (the container's own \
                environment, which its init and an inspection show, still has it, as with Buildbot's workers).
                """
        )
    }

    @OptionGroup var options: WorkerOptions

    public init() {}

    public func run() async throws {
        try await options.run()
    }
}

/// The native worker's options, and the worker they describe run as a service.
public struct WorkerOptions: ParsableArguments {
    public init() {}

    @Option(help: "The master's worker port, as HOST:PORT (default: $MASTER_URL).") var master: String?
    @Option(help: "The worker's name, as the master's configuration lists it (default: $WORKER_NAME).")
    var name: String?
    @Option(help: "A file whose first line is the worker's password (default: $WORKER_PASSWORD itself).")
    var passwordFile: String?
    @Option(help: "The directory builds run in (created when missing).") var basedir: String
    @Flag(help: "Connect over TLS.") var tls = false
    @Option(help: "With --tls, the CA certificates (PEM) to trust for the master's certificate.") var ca: String?
    @Option(help: "With --tls, the worker's certificate (PEM), for a port that requires one.") var cert: String?
    @Option(help: "With --tls, the key (PEM) of --cert.") var key: String?
    /// Set by a pool's master for the workers it starts.
    @Flag(help: .hidden) var exitWithParent = false

    public func validate() throws {
        if !tls && (ca != nil || cert != nil || key != nil) {
            throw ValidationError("--ca, --cert and --key are for --tls")
        }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
    }

    public func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let master = master ?? environment["MASTER_URL"] else {
            throw CommandFailure("give the master's worker port with --master or MASTER_URL")
        }
        guard let name = name ?? environment["WORKER_NAME"], !name.isEmpty else {
            throw CommandFailure("give the worker's name with --name or WORKER_NAME")
        }
        guard let colon = master.lastIndex(of: ":"), let port = Int(master[master.index(after: colon)...]) else {
            throw CommandFailure("--master must be HOST:PORT, not '\(master)'")
        }
        var host = colon == master.startIndex ? "127.0.0.1" : String(master[..<colon])
        // `[::1]:9989`: the address without its brackets, for the connection and the certificate's check.
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let password = try Self.password(file: passwordFile, environment: environment)
        let basedir = URL(fileURLWithPath: basedir).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: basedir, withIntermediateDirectories: true)
        let logger = CommandLogging.service("gantry.worker")
        var worker = NativeWorker(
            host: host, port: port, name: name, password: String(password), basedir: basedir, logger: logger)
        worker.exitWithParent = exitWithParent
        if tls {
            do {
                worker.tls = try WorkerTLS(caFile: ca, certificate: cert, key: key)
            } catch let failure as WorkerTLS.Failure {
                throw CommandFailure(failure.description)
            }
        }
        try await Self.runUntilStopped(worker)
    }

    /// Runs `worker` until it ends (the master shut it down) or SIGTERM or SIGINT stops it. Either way is a clean
    /// exit: the stop cancels the worker, which interrupts its commands and waits for them.
    private static func runUntilStopped(_ worker: NativeWorker) async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await worker.run()
                } catch is CancellationError where Task.isCancelled {}
            }
            group.addTask {
                for await _ in signals { return }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// The first line of `file`, else WORKER_PASSWORD, which is then unset so the worker's steps never
    /// inherit it.
    private static func password(file: String?, environment: [String: String]) throws -> String {
        guard let file else {
            guard let password = environment["WORKER_PASSWORD"], !password.isEmpty else {
                throw CommandFailure("give the worker's password with --password-file or WORKER_PASSWORD")
            }
            unsetenv("WORKER_PASSWORD")
            return password
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            let password = text.split(separator: "\n", omittingEmptySubsequences: false).first, !password.isEmpty
        else { throw CommandFailure("cannot read a password from '\(file)'") }
        return String(password)
    }
}
