import Foundation
public import GantryModel
import SQLKit

extension LogsConnector {
    /// Which way a search goes from its starting line.
    public enum SearchDirection: String, Sendable, CaseIterable {
        /// Towards the end: the first match after the starting line.
        case next
        /// Towards the start: the last match before the starting line.
        case previous
    }

    /// The chunks read at once while searching: a log is searched a few chunks at a time, never held whole.
    static let searchBatch = 16

    /// The number of the first line after `line` (`.next`) or before it (`.previous`) whose text contains `text`,
    /// compared case-insensitively and with ANSI SGR escapes (`ESC [ … m`) removed, as a reader sees it; nil when
    /// there is none. The lines of a `stdio` log are searched without their stream character.
    ///
    /// Each batch of chunks is read in a transaction of its own, as ``withLines(_:_:)`` reads them, so a search of
    /// a long log holds no transaction open while it scans.
    public func searchLog(
        _ logid: Int,
        kind: StepLog.Kind,
        for text: String,
        from line: Int,
        direction: SearchDirection
    ) async throws -> Int? {
        let needle = text.lowercased()
        var bound = line
        // Going forward, each batch starts at a chunk's first line, so every read is a range of the
        // (logid, first_line) index: first the chunk holding the line after `line`, then the chunks after it.
        var nextFirst = direction == .next ? try await chunkStart(logid, holding: line.addingSaturated(1)) : 0
        while true {
            let rows = try await database.withTransaction { [nextFirst, bound] sql in
                let query = sql.select().columns("first_line", "last_line", "content").from("logchunks")
                    .where("logid", .equal, logid)
                switch direction {
                case .next:
                    query.where("first_line", .greaterThanOrEqual, nextFirst).orderBy("first_line")
                case .previous:
                    query.where("first_line", .lessThan, bound).orderBy("first_line", .descending)
                }
                return try await query.limit(Self.searchBatch).all()
            }
            guard !rows.isEmpty else { return nil }
            for row in rows {
                let first = try row.decode(column: "first_line", as: Int.self)
                let last = try row.decode(column: "last_line", as: Int.self)
                let content = try row.decode(column: "content", as: Data.self)
                let lines = content.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                let numbered = zip(lines.indices, lines).map { (number: first.addingSaturated($0.0), line: $0.1) }
                let candidates =
                    direction == .next
                    ? numbered.filter { $0.number > bound } : numbered.reversed().filter { $0.number < bound }
                if let match = candidates.first(where: {
                    Self.searchable($0.line, dropsStream: kind == .stdio).contains(needle)
                }) {
                    return match.number
                }
                bound = direction == .next ? last : first
                nextFirst = first.addingSaturated(1)
            }
        }
    }

    /// The first line of the chunk holding `line`, or 0 when no chunk starts at or before it.
    private func chunkStart(_ logid: Int, holding line: Int) async throws -> Int {
        try await database.withTransaction { sql in
            try await sql.select().column("first_line").from("logchunks")
                .where("logid", .equal, logid).where("first_line", .lessThanOrEqual, line)
                .orderBy("first_line", .descending).limit(1)
                .first(decodingColumn: "first_line", as: Int.self) ?? 0
        }
    }

    /// A line as a search sees it: without its stream character when `dropsStream`, without SGR escapes, and
    /// lower-cased.
    private static func searchable(_ line: Data.SubSequence, dropsStream: Bool) -> String {
        var bytes = dropsStream ? line.dropFirst() : line
        var plain: [UInt8] = []
        plain.reserveCapacity(bytes.count)
        while let byte = bytes.popFirst() {
            if byte == escape, bytes.first == UInt8(ascii: "["), let end = sgrEnd(bytes.dropFirst()) {
                bytes = bytes[end...]
            } else {
                plain.append(byte)
            }
        }
        return String(decoding: plain, as: UTF8.self).lowercased()
    }

    /// Where an SGR sequence whose parameters begin `parameters` (just after `ESC [`) ends: the index after its
    /// `m`; nil when the bytes are not one (another control sequence, or one cut off).
    private static func sgrEnd(_ parameters: Data.SubSequence) -> Data.Index? {
        guard
            let final = parameters.firstIndex(where: {
                !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) && $0 != UInt8(ascii: ";")
                    && $0 != UInt8(ascii: ":")
            }),
            parameters[final] == UInt8(ascii: "m")
        else { return nil }
        return parameters.index(after: final)
    }

    private static let escape: UInt8 = 0x1B
}
