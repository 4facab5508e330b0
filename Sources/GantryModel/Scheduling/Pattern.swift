import Foundation

/// A regular expression kept with its source text, so configurations holding one stay comparable.
public struct Pattern: Sendable, Hashable, CustomStringConvertible {
    public let source: String
    private let regex: NSRegularExpression

    /// Compiles `source`; throws a message naming the pattern when it is not a valid regular expression.
    public init(_ source: String) throws(GantryError) {
        do {
            regex = try NSRegularExpression(pattern: source)
        } catch {
            throw GantryError(.invalidArgument, "'\(source)' is not a valid regular expression")
        }
        self.source = source
    }

    /// Whether the pattern matches at the start of `text`.
    public func matchesPrefix(_ text: String) -> Bool {
        firstMatch(in: text) != nil
    }

    /// Whether the pattern matches the whole of `text`.
    public func matchesWhole(_ text: String) -> Bool {
        firstMatch(in: text)?.range.length == (text as NSString).length
    }

    private func firstMatch(in text: String) -> NSTextCheckingResult? {
        regex.firstMatch(in: text, options: [.anchored], range: NSRange(location: 0, length: (text as NSString).length))
    }

    public var description: String { source }

    public static func == (lhs: Pattern, rhs: Pattern) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}
