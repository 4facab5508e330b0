public import Foundation

/// The `gantry` executable built beside the tests, run as a real child process.
public enum GantryProcess {
    /// What a finished run printed and how it exited.
    public struct Outcome: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// The built `gantry` binary, found next to the test bundle.
    public static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("gantry").path),
            directory.pathComponents.count > 1
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("gantry")
    }

    /// Runs `gantry arguments...` to completion.
    ///
    /// Output goes to files rather than pipes, and the exit is awaited through a continuation, so no thread
    /// of the cooperative pool blocks: the test process may be serving its own database meanwhile.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        let status = try await process.runUntilExit()
        return Outcome(
            status: status,
            standardOutput: try String(contentsOf: outputURL, encoding: .utf8),
            standardError: try String(contentsOf: errorURL, encoding: .utf8)
        )
    }
}
