import Foundation
import GantryModel
import SQLKit

extension LogsConnector {
    /// Merges the chunks of log `logid` into chunks of up to 256 KiB of text, each compressed when that makes it
    /// smaller, as Buildbot's `compressLog`; the log settler runs it once the log is finished
    /// (``settleLog(_:storage:)``).
    ///
    /// It works through the log a run of chunks at a time, each run replaced in a transaction of its own, so a log of
    /// any size is compacted in bounded memory without holding the database for long. A reader meanwhile sees every
    /// line exactly once, in the old chunks or in the merged ones; lines and their numbers never change.
    /// - Returns: The stored bytes saved.
    @discardableResult
    public func compressLog(_ logid: Int) async throws -> Int {
        var from = 0
        var saved = 0
        while true {
            let chunks = try await database.withTransaction { [from] sql in
                try await sql.select().columns("first_line", "last_line", "compressed")
                    .column(Self.storedSize, as: "size")
                    .from("logchunks")
                    .where("logid", .equal, logid).where("first_line", .greaterThanOrEqual, from)
                    .orderBy("first_line").limit(LogCompaction.batch)
                    .all()
                    .map { row in
                        let first = try row.decode(column: "first_line", as: Int.self)
                        let last = try row.decode(column: "last_line", as: Int.self)
                        guard first <= last else {
                            throw GantryError(.corruptState, "log \(logid) has a chunk from line \(first) to \(last)")
                        }
                        return LogCompaction.Chunk(
                            lines: first...last, size: try row.decode(column: "size", as: Int.self),
                            compressed: try row.decode(column: "compressed", as: Int.self) != LogChunkCodec.raw.rawValue
                        )
                    }
            }
            let plan = LogCompaction.plan(chunks, more: chunks.count == LogCompaction.batch)
            for run in plan.runs {
                var start = run.lowerBound
                while start <= run.upperBound {
                    let merged = try await merge(logid, lines: start...run.upperBound)
                    saved = saved.addingSaturated(merged.saved)
                    start = merged.through.addingSaturated(1)
                }
            }
            guard let next = plan.next else { return saved }
            from = next
        }
    }

    /// A chunk's stored bytes, as both databases count a blob's length.
    private static var storedSize: any SQLExpression { SQLFunction("LENGTH", args: SQLColumn("content")) }

    /// Replaces the chunks holding `lines`, or as many of the first of them as hold
    /// ``LogCompaction/largestRunText`` of text, by chunks of up to ``LogCompaction/mergedText`` of text each, in one
    /// transaction, unless that stores no fewer rows and no fewer bytes.
    /// - Returns: The stored bytes saved (a merge of chunks that do not compress costs a newline per chunk joined),
    ///   and the last line considered: the caller goes on after it.
    private func merge(_ logid: Int, lines: ClosedRange<Int>) async throws -> (saved: Int, through: Int) {
        let dialect = database.dialect
        return try await database.withTransaction { sql in
            let query = sql.select().columns(LogChunk.columns)
                .column(Self.storedSize, as: "size")
                .from("logchunks")
                .where("logid", .equal, logid)
                .where("first_line", .greaterThanOrEqual, lines.lowerBound)
                .where("first_line", .lessThanOrEqual, lines.upperBound)
                .orderBy("first_line")
            if let lock = dialect.updateLock { query.lockingClause(lock) }
            let rows = try await query.all()
            let bounds = try rows.map { row in
                (
                    first: try row.decode(column: "first_line", as: Int.self),
                    last: try row.decode(column: "last_line", as: Int.self)
                )
            }
            // Another compaction may have rewritten these lines since they were planned: only whole, contiguous
            // lines are merged, and the unique (logid, first_line) refuses a second copy of any.
            guard bounds.first?.first == lines.lowerBound, bounds.last?.last == lines.upperBound,
                zip(bounds, bounds.dropFirst()).allSatisfy({ $0.last.addingSaturated(1) == $1.first })
            else { return (0, lines.upperBound) }
            var text = Data()
            var stored = 0
            var through = lines.lowerBound
            var count = 0
            for row in rows where text.count < LogCompaction.largestRunText {
                let chunk = try LogChunk(row, logid: logid)
                if count > 0 { text.append(UInt8(ascii: "\n")) }
                text.append(chunk.text)
                stored = stored.addingSaturated(try row.decode(column: "size", as: Int.self))
                through = chunk.lastLine
                count += 1
            }
            let merged = EncodedLogChunk.cutting(text, limit: LogCompaction.mergedText)
            let mergedSize = merged.reduce(0) { $0 + $1.content.count }
            guard merged.count < count || mergedSize < stored else { return (0, through) }
            try await sql.delete(from: "logchunks")
                .where("logid", .equal, logid)
                .where("first_line", .greaterThanOrEqual, lines.lowerBound)
                .where("first_line", .lessThanOrEqual, through)
                .run()
            _ = try await EncodedLogChunk.insert(merged, logid: logid, from: lines.lowerBound, in: sql)
            return (stored - mergedSize, through)
        }
    }
}
