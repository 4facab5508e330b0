public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `gantry master` child process with a configuration of its own, for cluster tests that kill and pause
/// real masters.
public final class MasterProcess: Sendable {
    public let name: String
    private let process: Process
    private let exited: AsyncStream<Int32>

    /// Writes `config` into `directory` and starts `gantry master` on it; standard error goes to `<name>.log`.
    public init(name: String, config: String, directory: URL) throws {
        self.name = name
        let file = directory.appendingPathComponent("\(name).yaml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = GantryProcess.executable
        process.arguments = ["master", "--config", file.path]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: log)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        self.process = process
        self.exited = stream
        try process.run()
    }

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
