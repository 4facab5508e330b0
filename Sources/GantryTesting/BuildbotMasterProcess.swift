public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An unmodified Buildbot 4.3 master (from PyPI, found through `GANTRY_TEST_BUILDBOT_MASTER`, the `buildbot`
/// executable of a virtual environment with buildbot and buildbot-www), as a real child process on SQLite.
public final class BuildbotMasterProcess: Sendable {
    /// The `buildbot` executable, when the environment provides one.
    public static var executable: String? {
        ProcessInfo.processInfo.environment["GANTRY_TEST_BUILDBOT_MASTER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public let basedir: URL
    /// The msgpack worker port and the web (REST API) port.
    public let workerPort: Int
    public let httpPort: Int
    private let process: Process
    private let exited: AsyncStream<Int32>

    /// Creates a master in `directory/master` whose `master.cfg` is `config` with `{WORKER_PORT}` and
    /// `{HTTP_PORT}` filled in (and its web and database settings added), and starts it in the foreground.
    public init(config: String, directory: URL) async throws {
        guard let executable = Self.executable else { throw CocoaError(.executableNotLoadable) }
        basedir = directory.appendingPathComponent("master")
        let created = Process()
        created.executableURL = URL(fileURLWithPath: executable)
        created.arguments = ["create-master", "-q", basedir.path]
        created.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        guard try await created.runUntilExit() == 0 else { throw CocoaError(.executableLoad) }
        workerPort = try freeLocalPort()
        httpPort = try freeLocalPort()
        let text =
            config.replacingOccurrences(of: "{WORKER_PORT}", with: "\(workerPort)")
                + """

                c['www'] = dict(port=\(httpPort), plugins={})
                c['db'] = {'db_url': "sqlite:///state.sqlite"}
                c['buildbotNetUsageData'] = None
                c['buildbotURL'] = "http://127.0.0.1:\(httpPort)/"

                """
        try text.write(to: basedir.appendingPathComponent("master.cfg"), atomically: true, encoding: .utf8)
        process = try pythonTool(
            executable, ["start", "--nodaemon", basedir.path], home: directory,
            output: directory.appendingPathComponent("buildbot-master.log"))
        exited = try process.start()
    }

    /// A master its test no longer holds is killed, so a test that ends early leaves no process behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Its `twistd.log` so far.
    public var log: String {
        (try? String(contentsOf: basedir.appendingPathComponent("twistd.log"), encoding: .utf8)) ?? ""
    }

    public func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        var iterator = exited.makeAsyncIterator()
        _ = await iterator.next()
    }
}
