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
        // The lines still to search are those after `bound` (`.next`) or before it (`.previous`).
        var bound = line
        while true {
            let chunks = try await database.withTransaction { [bound] sql in
                let span: ChunkSpan =
                    switch direction {
                    case .next: .from(bound.addingSaturated(1), through: .max)
                    case .previous: .before(bound)
                    }
                return try await Self.chunks(logid, span, limit: Self.readBatch, in: sql)
            }
            guard !chunks.isEmpty else { return nil }
            for chunk in chunks {
                let candidates =
                    direction == .next
                    ? chunk.lines.filter { $0.number > bound } : chunk.lines.reversed().filter { $0.number < bound }
                if let match = candidates.first(where: {
                    Self.searchable($0.line, dropsStream: kind == .stdio).contains(needle)
                }) {
                    return match.number
                }
                bound = direction == .next ? max(bound, chunk.lastLine) : min(bound, chunk.firstLine)
            }
        }
    }

    /// A line as a search sees it: without its stream character when `dropsStream`, without SGR escapes, and
    /// lower-cased.
    private static func searchable(_ line: Data, dropsStream: Bool) -> String {
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
