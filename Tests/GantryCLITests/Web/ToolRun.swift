import Foundation
import GantryTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A test tool (Node.js, the browser suite's Python) run to its end as a child process, its standard output and
/// error together in one file.
struct ToolRun {
    /// Its exit status (the signal's number if a signal ended it); `nil` when the test was cancelled first.
    var status: Int32?
    /// Whether it ran past its time limit, and was stopped.
    var timedOut: Bool
    /// The end of what it printed (at most 64 KiB).
    var output: String

    /// How it ended, for a failure's message.
    var ending: String {
        if timedOut { return "ran past its time limit and was stopped" }
        return status.map { "exited with status \($0)" } ?? "was stopped"
    }

    /// Runs `executable` with `arguments` in `directory`, writing its output to `output`. Past `limit` it gets
    /// SIGTERM, so it can stop what it started, and SIGKILL 10 s later. Whichever way the test ends it does not
    /// outlive it: cancelling the test kills it, and so does the test process exiting.
    static func run(
        _ executable: String, _ arguments: [String], in directory: URL, output: URL,
        environment: [String: String] = [:], limit: Duration
    ) async throws -> ToolRun {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let log = try FileHandle(forWritingTo: output)
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        let clock = ContinuousClock()
        let start = clock.now
        let exited = try process.start()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let status = await withTaskGroup(of: Void.self, returning: Int32?.self) { group in
            group.addTask { await Self.stop(process, after: limit) }
            var iterator = exited.makeAsyncIterator()
            let ended = await iterator.next()
            group.cancelAll()
            return ended
        }
        let printed = (try? Data(contentsOf: output)) ?? Data()
        return ToolRun(
            status: status, timedOut: clock.now - start >= limit,
            output: String(decoding: printed.suffix(64 * 1024), as: UTF8.self))
    }

    /// Sleeps for `limit`, then stops `process` if it still runs; returns early when cancelled (it has ended).
    private static func stop(_ process: Process, after limit: Duration) async {
        do { try await Task.sleep(for: limit) } catch { return }
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        do { try await Task.sleep(for: .seconds(10)) } catch { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
