// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Cuts one stream's text into whole lines as buildbot-worker does: every match of the master's `newline_re`
/// becomes a newline, a line longer than `max_line_length` (in Unicode scalars, newline included) is split,
/// and an unfinished line waits for more text or for ``finish()``. Masters store what they get as lines, so
/// a piece of a line sent early would be stored as a line of its own.
struct LineSplitter {
    /// The pattern Buildbot and Gantry masters send; only text with `\r`, ESC or backspace can match it.
    static let buildbotPattern = #"(\r\n|\r(?=.)|\033\[u|\033\[[0-9]+;[0-9]+[Hf]|\033\[2J|\x08+)"#
    /// How far back in the unfinished line a match that new text completes may start (`\r` before `\n`, an
    /// escape sequence cut in two).
    static let lookBehind = 256

    private let pattern: String
    private let maxLength: Int
    private var regex: Regex<AnyRegexOutput>?
    private var compiled = false
    /// The unfinished line (no newline, fewer than `maxLength` scalars), its length and when it began.
    private var partial = ""
    private var partialLength = 0
    private var partialTime: Double?

    init(pattern: String, maxLength: Int) {
        self.pattern = pattern
        self.maxLength = max(2, maxLength)
    }

    /// The lines `text` completes, each dated when it began (`time` for those that began in `text`); nil when
    /// it completes none.
    mutating func append(_ text: String, at time: Double) -> LineBatch? {
        guard !text.isEmpty else { return nil }
        let held = partial.unicodeScalars
        let tailLength = min(partialLength, Self.lookBehind)
        let tailStart = held.index(held.endIndex, offsetBy: -tailLength)
        var line = String(held[..<tailStart])
        var length = partialLength - tailLength
        let fresh = substituted(String(held[tailStart...]) + text)
        let firstTime = partialTime ?? time
        var batch = LineBatch()
        let view = fresh.unicodeScalars
        var start = view.startIndex
        var index = start
        while index != view.endIndex {
            if view[index] == "\n" {
                batch.add(line, view[start..<index], length: length, time: batch.isEmpty ? firstTime : time)
                view.formIndex(after: &index)
                (line, length, start) = ("", 0, index)
                continue
            }
            if length == maxLength - 1 {
                batch.add(line, view[start..<index], length: length, time: batch.isEmpty ? firstTime : time)
                (line, length, start) = ("", 0, index)
            }
            length += 1
            view.formIndex(after: &index)
        }
        partial = line + String(view[start...])
        partialTime = length == 0 ? nil : batch.isEmpty ? firstTime : time
        partialLength = length
        return batch.isEmpty ? nil : batch
    }

    /// The unfinished line, closed with the newline the program never printed (as buildbot-worker closes it).
    mutating func finish() -> LineBatch? {
        guard partialLength > 0 else { return nil }
        return append("\n", at: partialTime ?? Date().timeIntervalSince1970)
    }

    private mutating func substituted(_ text: String) -> String {
        if pattern == Self.buildbotPattern, !text.utf8.contains(where: { $0 == 0x0D || $0 == 0x1B || $0 == 0x08 }) {
            return text
        }
        if !compiled {
            compiled = true
            regex = Self.compile(pattern)
        }
        guard let regex else { return text }
        return text.replacing(regex, with: "\n")
    }

    /// `pattern` as Python's `re` reads it: over Unicode scalars (`\r\n` is two, not one character), and with
    /// `.` matching `\r`. Python's `.` is anything but `\n`; letting it match `\n` too is the same in
    /// Buildbot's pattern, where `\r\n` is tried before `\r(?=.)`. Nil for a pattern that does not compile.
    static func compile(_ pattern: String) -> Regex<AnyRegexOutput>? {
        (try? Regex(pattern))?.matchingSemantics(.unicodeScalar).dotMatchesNewlines()
    }
}
