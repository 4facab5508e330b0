import Foundation
import GantryModel
import SQLKit

/// One stored chunk of a log, decoded: lines `firstLine...lastLine`, joined by `\n` (the last line's newline is not
/// stored).
struct LogChunk: Sendable {
    let firstLine: Int
    let lastLine: Int
    /// The lines as bytes, whatever they hold: NUL, `\r`, bytes that are not UTF-8.
    let text: Data

    /// The columns a chunk is read from.
    static let columns = ["first_line", "last_line", "content", "compressed"]

    /// Decodes a row of ``columns`` of log `logid`.
    /// - Throws: `GantryError.corruptState` naming the lines when the content cannot be decoded or does not hold
    ///   as many lines as the row says.
    init(_ row: any SQLRow, logid: Int) throws {
        let first = try row.decode(column: "first_line", as: Int.self)
        let last = try row.decode(column: "last_line", as: Int.self)
        guard first <= last else {
            throw GantryError(.corruptState, "log \(logid) has a chunk from line \(first) to \(last)")
        }
        try self.init(
            lines: first...last, content: try row.decode(column: "content", as: Data.self),
            code: try row.decode(column: "compressed", as: Int.self), of: "log \(logid)")
    }

    /// Decodes `content`, stored by method `code`, which holds `lines` of the log `place` names.
    /// - Throws: `GantryError.corruptState` naming the lines when the content cannot be decoded or does not hold
    ///   as many lines as `lines`.
    init(lines: ClosedRange<Int>, content: Data, code: Int, of place: String) throws {
        let failure = "lines \(lines.lowerBound)–\(lines.upperBound) of \(place) cannot be read"
        let text: Data
        do {
            text = try LogChunkCodec.decode(content, code: code)
        } catch {
            throw GantryError(.corruptState, "\(failure): \(error)")
        }
        let newlines = text.reduce(0) { $1 == Self.newline ? $0 + 1 : $0 }
        guard lines.lowerBound.addingSaturated(newlines) == lines.upperBound else {
            throw GantryError(.corruptState, "\(failure): the chunk holds \(newlines + 1) lines")
        }
        firstLine = lines.lowerBound
        lastLine = lines.upperBound
        self.text = text
    }

    /// Each line with its number, in order.
    var lines: [(number: Int, line: Data)] {
        text.split(separator: Self.newline, omittingEmptySubsequences: false).enumerated().map {
            (number: firstLine.addingSaturated($0.offset), line: $0.element)
        }
    }

    /// The text of the lines from `line` on (all of them when the chunk starts there or later).
    func textOfLines(from line: Int) -> Data {
        var rest = text[...]
        var skipped = firstLine
        while skipped < line, let newline = rest.firstIndex(of: Self.newline) {
            rest = rest[(newline + 1)...]
            skipped += 1
        }
        return rest
    }

    private static let newline = UInt8(ascii: "\n")
}
