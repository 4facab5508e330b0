/// Why a poll's git command failed, in words fit for the log: credentials are never part of them (they are not on
/// git's command line, and a password in the repository URL is masked in what git printed).
enum GitError: Error, Equatable, CustomStringConvertible {
    /// git ended with a failure; `stderr` is the end of what it printed.
    case failed(command: String, status: String, stderr: String)
    /// git ran past the time a command may take, and was killed.
    case timedOut(command: String, after: Duration)
    /// git could not be started.
    case notRun(command: String, reason: String)
    /// git printed more than ``GitRunner/outputLimit`` on its standard output, or ``GitRunner/errorLimit`` on its
    /// standard error: what it printed is not read past that.
    case outputTooLarge(command: String)
    /// git's output did not have the shape asked for.
    case unreadableOutput(command: String)
    /// A credential's secret is in no secret source.
    case missingSecret(String)

    var description: String {
        switch self {
        case .failed(let command, let status, let stderr):
            "git \(command) failed (\(status))" + (stderr.isEmpty ? "" : ": \(stderr)")
        case .timedOut(let command, let after): "git \(command) took longer than \(after) and was killed"
        case .notRun(let command, let reason): "git \(command) could not be run: \(reason)"
        case .outputTooLarge(let command):
            "git \(command) printed more than the poller reads (\(GitRunner.outputLimit >> 20) MiB of output, "
                + "\(GitRunner.errorLimit >> 20) MiB of errors)"
        case .unreadableOutput(let command): "git \(command) printed what the poller cannot read"
        case .missingSecret(let name): "secret '\(name)' not found"
        }
    }
}
