/// Every problem found in a configuration file, each with where it is.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One problem: `schedulers[2].interval: must be positive`.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var message: String

        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    public var file: String
    public var problems: [Problem]

    public var description: String {
        (["\(file): \(problems.count) error\(problems.count == 1 ? "" : "s")"] + problems.map { "  \($0)" })
            .joined(separator: "\n")
    }
}
