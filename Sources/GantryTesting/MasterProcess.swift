public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `gantry master` child process with a configuration of its own, for cluster tests that kill and pause
/// real masters.
public final class MasterProcess: Sendable {
    public let name: String
    private let log: URL
    private let process: Process
    private let exited: AsyncStream<Int32>

    /// Writes `config` into `directory` and starts `gantry master` on it; standard error goes to `<name>.log`.
    public init(name: String, config: String, directory: URL) throws {
        self.name = name
        let file = directory.appendingPathComponent("\(name).yaml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("\(name).log")
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = GantryProcess.executable
        process.arguments = ["master", "--config", file.path]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: log)
        self.process = process
        self.exited = try process.start()
    }

    /// The port of the master's HTTP API, read from its log once it listens; `nil` if it never does within
    /// `attempts` looks 50 ms apart.
    public func httpPort(attempts: Int = 400) async throws -> Int? {
        try await loggedPort("gantry.http.address=", attempts: attempts)
    }

    /// The port workers connect to, read from the master's log once it listens.
    public func workerPort(attempts: Int = 400) async throws -> Int? {
        try await loggedPort("gantry.worker_port=", attempts: attempts)
    }

    private func loggedPort(_ marker: String, attempts: Int) async throws -> Int? {
        for _ in 0..<attempts {
            let text = logText
            if let start = text.range(of: marker)?.upperBound {
                let address = text[start...].prefix { !$0.isWhitespace }
                if let colon = address.lastIndex(of: ":") { return Int(address[address.index(after: colon)...]) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Everything the master logged so far.
    public var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Sends `signal` (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) to the master.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end and returns its exit status.
    public func waitForExit() async -> Int32? {
        var iterator = exited.makeAsyncIterator()
        return await iterator.next()
    }
}
