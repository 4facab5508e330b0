public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `gantry` child process whose standard error goes to a log file.
public final class GantryChild: Sendable {
    private let log: URL
    private let process: Process
    private let exited: AsyncStream<Int32>

    /// - Parameter environment: Added to this process's environment for the child.
    public init(arguments: [String], log: URL, environment: [String: String] = [:]) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = GantryProcess.executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: log)
        self.process = process
        self.exited = try process.start()
    }

    /// A child its test no longer holds is of no use: it is killed, so a test that ends early (a failure, a
    /// thrown error, its time limit) leaves no process behind.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Everything it logged so far.
    public var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    public var processIdentifier: Int32 { process.processIdentifier }

    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end and returns its exit status.
    public func waitForExit() async -> Int32? {
        var iterator = exited.makeAsyncIterator()
        return await iterator.next()
    }
}

/// A test's handle on a `gantry` child process.
public protocol GantryChildOwner: Sendable {
    var child: GantryChild { get }
}

extension GantryChildOwner {
    /// Everything the process logged so far.
    public var logText: String { child.logText }

    /// Sends `signal` (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) to the process.
    public func send(_ signal: Int32) { child.send(signal) }

    /// Waits for the process to end and returns its exit status.
    public func waitForExit() async -> Int32? { await child.waitForExit() }
}
