import Foundation

/// A pattern kept with its source text, so configurations holding one stay comparable: a regular expression, or
/// a file pattern as users write them (`init(glob:)`).
public struct Pattern: Sendable, Hashable, CustomStringConvertible {
    /// The text as written, a `re:` prefix included.
    public let source: String
    /// Whether `source` was read by `init(glob:)`, so the same text as a plain regular expression is another pattern.
    private let isGlob: Bool
    private let regex: NSRegularExpression
    /// `regex` pinned to the end of the text, so an alternation whose first branch is shorter (`a|ab`) still
    /// matches whole.
    private let wholeRegex: NSRegularExpression

    /// The prefix that makes a file pattern a regular expression.
    private static let regexPrefix = "re:"

    /// Compiles `source` as a regular expression; throws a message naming it when it is not valid.
    public init(_ source: String) throws(GantryError) {
        try self.init(
            source: source, isGlob: false, expression: source, options: [],
            invalid: "'\(source)' is not a valid regular expression")
    }

    /// A file pattern: a glob read as Python's `fnmatch` reads it (`*` also crosses `/`, `?` is one character,
    /// `[...]` and `[!...]` are sets, anything else is literal), or after `re:` a regular expression.
    public init(glob source: String) throws(GantryError) {
        if source.hasPrefix(Self.regexPrefix) {
            let expression = String(source.dropFirst(Self.regexPrefix.count))
            try self.init(
                source: source, isGlob: true, expression: expression, options: [],
                invalid: "'\(expression)' after '\(Self.regexPrefix)' is not a valid regular expression")
        } else {
            try self.init(
                source: source, isGlob: true, expression: Self.expression(forGlob: source),
                options: .dotMatchesLineSeparators, invalid: "'\(source)' is not a valid glob")
        }
    }

    private init(
        source: String, isGlob: Bool, expression: String, options: NSRegularExpression.Options, invalid: String
    ) throws(GantryError) {
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: expression, options: options)
        } catch {
            throw GantryError(.invalidArgument, invalid)
        }
        self.regex = regex
        // A trailing comment or `\Q` can swallow the suffix; the length check in `matchesWhole` then stands in.
        wholeRegex = (try? NSRegularExpression(pattern: "(?:\(expression))\\z", options: options)) ?? regex
        self.source = source
        self.isGlob = isGlob
    }

    /// Whether the pattern matches at the start of `text`.
    public func matchesPrefix(_ text: String) -> Bool {
        Self.firstMatch(of: regex, in: text) != nil
    }

    /// Whether the pattern matches the whole of `text`.
    public func matchesWhole(_ text: String) -> Bool {
        Self.firstMatch(of: wholeRegex, in: text)?.range.length == (text as NSString).length
    }

    private static func firstMatch(of regex: NSRegularExpression, in text: String) -> NSTextCheckingResult? {
        regex.firstMatch(in: text, options: [.anchored], range: NSRange(location: 0, length: (text as NSString).length))
    }

    public var description: String { source }

    public static func == (lhs: Pattern, rhs: Pattern) -> Bool {
        lhs.source == rhs.source && lhs.isGlob == rhs.isGlob
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(isGlob)
    }
}
