/// Buildbot's `ShellCommand`: a command run on the worker in the build's directory.
public struct ShellStep: Sendable, Hashable {
    /// A shell text (`/bin/sh -c`) or an argument vector run as is.
    public enum Command: Sendable, Hashable {
        case shell(String)
        case argv([String])
    }

    public var name: String
    public var command: Command
    /// Relative to the builder's directory on the worker.
    public var workdir = "build"
    public var env: [String: String] = [:]
    /// Seconds without output before the command is killed.
    public var timeout: Int? = 1200
    /// Seconds in all before the command is killed.
    public var maxTime: Int?
    /// A failure stops the build; later steps do not run.
    public var haltOnFailure = false
    /// A failure fails the build.
    public var flunkOnFailure = true
    /// A failure makes the build WARNINGS (when it does not flunk it).
    public var warnOnFailure = false
    /// The result of each exit code; codes not listed are FAILURE.
    public var decodeRC: [Int: BuildResult] = [0: .success]

    public init(name: String, command: Command) {
        self.name = name
        self.command = command
    }

    /// The step's result for exit code `rc`.
    public func result(rc: Int) -> BuildResult {
        decodeRC[rc] ?? .failure
    }

    /// What a step's result does to its build's result, as Buildbot's flunk/warn flags say.
    public func contribution(of result: BuildResult) -> BuildResult {
        switch result {
        case .failure where flunkOnFailure: .failure
        case .failure where warnOnFailure: .warnings
        case .failure: .success
        default: result
        }
    }
}
