/// Buildbot's `ShellCommand` as a step runs it: a command run on the worker in the build's directory.
///
/// Its texts (the command, `workdir`, `env` values) may use interpolation (see `Interpolation`).
public struct ShellCommand: Sendable, Hashable {
    /// A shell text (`/bin/sh -c`) or an argument vector run as is.
    public enum Command: Sendable, Hashable {
        case shell(String)
        case argv([String])
    }

    public var command: Command
    /// Relative to the builder's directory on the worker.
    public var workdir = "build"
    public var env: [String: String] = [:]
    /// Seconds without output before the command is killed.
    public var timeout: Int? = 1200
    /// Seconds in all before the command is killed.
    public var maxTime: Int?
    /// The result of each exit code; codes not listed are FAILURE.
    public var decodeRC: [Int: BuildResult] = [0: .success]

    public init(_ command: Command) {
        self.command = command
    }

    /// The result for exit code `rc`.
    public func result(rc: Int) -> BuildResult {
        decodeRC[rc] ?? .failure
    }
}
