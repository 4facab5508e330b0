/// When a mail reporter writes, as Buildbot's `mode` list: each mode names builds that get a mail.
public enum MailMode: String, Sendable, Hashable, CaseIterable {
    /// A build that failed.
    case failing
    /// A build that succeeded.
    case passing
    /// A failed build whose previous build did not fail.
    case problem
    /// A build whose result differs from the previous build's.
    case change
    /// A build that ended with warnings (or failed).
    case warnings
    /// A build that ended in an exception.
    case exception
    /// A build that was cancelled.
    case cancelled
    /// Every finished build.
    case all
    /// Buildbot's default: `failing`, `passing`, `warnings`.
    public static let defaults: Set<MailMode> = [.failing, .passing, .warnings]

    /// Whether a build that ended with `results`, after a previous build that ended with `previous`, gets a mail
    /// in this mode.
    public func selects(_ results: BuildResult, previous: BuildResult?) -> Bool {
        switch self {
        case .failing: results == .failure
        case .passing: results == .success
        case .problem: results == .failure && previous != .failure
        case .change: previous != nil && previous != results
        case .warnings: results == .warnings || results == .failure
        case .exception: results == .exception
        case .cancelled: results == .cancelled
        case .all: true
        }
    }
}
