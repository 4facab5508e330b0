public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An unmodified `buildbot-worker` 4.3 (from PyPI, found through `GANTRY_TEST_BUILDBOT_WORKER`) speaking the
/// msgpack protocol to a port of the test's, as a real child process.
public final class BuildbotWorkerProcess: Sendable {
    /// The `buildbot-worker` executable, when the environment provides one.
    public static var executable: String? {
        ProcessInfo.processInfo.environment["GANTRY_TEST_BUILDBOT_WORKER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public let basedir: URL
    private let output: URL
    private let process: Process
    private let exited: AsyncStream<Int32>

    /// Creates a worker directory under `directory` and starts the worker in the foreground.
    /// - Parameters:
    ///   - masterHost: The name it connects to (and, with `useTLS`, checks the master's certificate against).
    ///   - useTLS: Created with `--use-tls`.
    ///   - environment: Added to the worker's (`SSL_CERT_FILE`: the CAs its TLS trusts).
    public init(
        name: String, password: String, masterPort: Int, directory: URL, masterHost: String = "127.0.0.1",
        useTLS: Bool = false, environment: [String: String] = [:]
    ) async throws {
        guard let executable = Self.executable else { throw CocoaError(.executableNotLoadable) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let basedir = directory.appendingPathComponent(name)
        self.basedir = basedir
        let created = Process()
        created.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["create-worker", "--protocol=msgpack_experimental_v7", "--umask=0o22"]
        if useTLS { arguments.append("--use-tls") }
        created.arguments = arguments + [basedir.path, "\(masterHost):\(masterPort)", name, password]
        created.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        guard try await created.runUntilExit() == 0 else { throw CocoaError(.executableLoad) }
        let output = directory.appendingPathComponent("\(name).log")
        self.output = output
        let process = try pythonTool(
            executable, ["start", "--nodaemon", basedir.path], home: directory, output: output,
            environment: environment)
        self.process = process
        self.exited = try process.start()
    }

    /// A worker its test no longer holds is killed, so a test that ends early leaves no process behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// What the worker logged so far: its `twistd.log` and what it printed.
    public var log: String {
        [basedir.appendingPathComponent("twistd.log"), output]
            .compactMap { try? String(contentsOf: $0, encoding: .utf8) }.joined()
    }

    /// Sends `signal` to the worker.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end and returns its exit status.
    public func waitForExit() async -> Int32? {
        var iterator = exited.makeAsyncIterator()
        return await iterator.next()
    }

    /// Stops the worker if it still runs and waits for it.
    public func stop() async {
        if process.isRunning { send(SIGKILL) }
        _ = await waitForExit()
    }
}
