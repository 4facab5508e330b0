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
        try await WorkerDirectoryTemplate.shared.create(
            basedir, executable: executable, useTLS: useTLS,
            values: ["basedir": basedir.path, "buildmaster_host": masterHost, "workername": name, "passwd": password],
            port: masterPort)
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

/// What `buildbot-worker create-worker` writes, made once per test process (for each TLS choice) and written for
/// each worker with its own values in `buildbot.tac`: every worker a test starts would otherwise cost a Python start
/// of its own before its real one, and on two cores the tests running beside it starve on those. The worker itself
/// runs unmodified, from the file `create-worker` writes.
private actor WorkerDirectoryTemplate {
    static let shared = WorkerDirectoryTemplate()

    private var making: [Bool: Task<URL, any Error>] = [:]

    /// A worker directory at `basedir` as `create-worker` makes it, with `values` (as Python strings) and `port`.
    func create(
        _ basedir: URL, executable: String, useTLS: Bool, values: [String: String], port: Int
    ) async throws {
        let template = try await template(executable: executable, useTLS: useTLS)
        let files = FileManager.default
        try files.createDirectory(at: basedir, withIntermediateDirectories: true)
        let info = basedir.appendingPathComponent("info")
        if !files.fileExists(atPath: info.path) {
            try files.copyItem(at: template.appendingPathComponent("info"), to: info)
        }
        let text = try String(contentsOf: template.appendingPathComponent("buildbot.tac"), encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() {
            guard let equals = line.range(of: " = "), !line.hasPrefix(" ") else { continue }
            let key = String(line[..<equals.lowerBound])
            if let value = values[key] {
                lines[index] = "\(key) = \(Self.pythonString(value))"
            } else if key == "port" {
                lines[index] = "port = \(port)"
            }
        }
        try lines.joined(separator: "\n").write(
            to: basedir.appendingPathComponent("buildbot.tac"), atomically: true, encoding: .utf8)
    }

    /// The template's directory, made by the first caller; later ones wait for it.
    private func template(executable: String, useTLS: Bool) async throws -> URL {
        if let task = making[useTLS] { return try await task.value }
        let task = Task {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-worker-template-\(ProcessInfo.processInfo.processIdentifier)-\(useTLS)")
            try? FileManager.default.removeItem(at: directory)
            let created = Process()
            created.executableURL = URL(fileURLWithPath: executable)
            var arguments = ["create-worker", "--protocol=msgpack_experimental_v7", "--umask=0o22"]
            if useTLS { arguments.append("--use-tls") }
            created.arguments = arguments + [directory.path, "127.0.0.1:1", "template", "template"]
            created.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            guard try await created.runUntilExit() == 0 else { throw CocoaError(.executableLoad) }
            return directory
        }
        making[useTLS] = task
        return try await task.value
    }

    /// `text` as a Python string literal.
    private static func pythonString(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
