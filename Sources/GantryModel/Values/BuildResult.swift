/// The result of a build, step, build request or buildset, with Buildbot's numbers.
public enum BuildResult: Int, Sendable, Hashable, Codable, CaseIterable {
    case success = 0
    case warnings = 1
    case failure = 2
    case skipped = 3
    case exception = 4
    case retry = 5
    case cancelled = 6

    /// The worse of two results, in Buildbot's order: cancelled, retry, exception, failure, warnings, success,
    /// skipped.
    public func worst(_ other: BuildResult) -> BuildResult {
        Self.severity.first { $0 == self || $0 == other } ?? self
    }

    private static let severity: [BuildResult] = [
        .cancelled, .retry, .exception, .failure, .warnings, .success, .skipped,
    ]
}

extension BuildResult {
    /// Buildbot's lower-case name of the result (`success`, `warnings`, ...).
    public var name: String {
        switch self {
        case .success: "success"
        case .warnings: "warnings"
        case .failure: "failure"
        case .skipped: "skipped"
        case .exception: "exception"
        case .retry: "retry"
        case .cancelled: "cancelled"
        }
    }

    /// The result named `name` (any case).
    public init?(name: String) {
        guard let result = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = result
    }
}
