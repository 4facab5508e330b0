import GantryModel

/// A pattern of event keys, as `/api/v2/events?path=` takes it: segments separated by `/`, each either a literal
/// or `*`, which matches any one segment. A key matches when it has as many segments and every literal one is
/// equal, so `builds/*/*` matches `builds/12/finished` but neither `builds/12` nor `steps/3/new`.
///
/// Patterns come from clients and are matched against every event, so their size is bounded.
struct EventPath: Sendable, Hashable, CustomStringConvertible {
    static let maxLength = 200
    static let maxSegments = 8

    /// The segments in order; nil for `*`.
    private let segments: [String?]

    /// - Throws: `GantryError.invalidArgument` for an empty segment, a `*` that is not a whole segment, more than
    ///   ``maxSegments`` segments or more than ``maxLength`` characters.
    init(parsing text: String) throws(GantryError) {
        guard text.count <= Self.maxLength else {
            throw GantryError(.invalidArgument, "event path longer than \(Self.maxLength) characters")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= Self.maxSegments else {
            throw GantryError(
                .invalidArgument, "event path '\(text)' has more than \(Self.maxSegments) segments")
        }
        guard !parts.contains(where: \.isEmpty) else {
            throw GantryError(
                .invalidArgument,
                "event path '\(text)' has an empty segment; separate segments with one '/', like builds/*/finished")
        }
        guard !parts.contains(where: { $0 != "*" && $0.contains("*") }) else {
            throw GantryError(.invalidArgument, "in event path '\(text)', '*' must be a whole segment")
        }
        segments = parts.map { $0 == "*" ? nil : String($0) }
    }

    /// Whether `key` (such as `builds/12/finished`) is one this pattern names.
    func matches(_ key: String) -> Bool {
        var remaining = segments[...]
        for part in key.split(separator: "/", maxSplits: segments.count, omittingEmptySubsequences: false) {
            guard let segment = remaining.popFirst() else { return false }
            if let segment, segment != part { return false }
        }
        return remaining.isEmpty
    }

    var description: String {
        segments.map { $0 ?? "*" }.joined(separator: "/")
    }
}
