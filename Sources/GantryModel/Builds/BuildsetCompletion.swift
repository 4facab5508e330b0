/// When a buildset is complete, and with what result (Buildbot's rule): once every one of its requests is
/// complete, with the worst of their results. The storage layer applies it in the transaction that completes
/// the last request, so a buildset is never seen complete before its requests, nor its requests without it.
public enum BuildsetCompletion {
    /// One request of the buildset, as the rule needs it.
    public struct Request: Sendable, Hashable {
        public var complete: Bool
        public var results: BuildResult?

        public init(complete: Bool, results: BuildResult?) {
            self.complete = complete
            self.results = results
        }
    }

    /// The buildset's results once every request is complete (SKIPPED when none has a result), `nil` while any
    /// request is still pending.
    public static func results(of requests: [Request]) -> BuildResult? {
        guard requests.allSatisfy(\.complete) else { return nil }
        return requests.compactMap(\.results).reduce(BuildResult.skipped) { $0.worst($1) }
    }
}
