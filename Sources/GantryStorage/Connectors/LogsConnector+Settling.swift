import Foundation
public import GantryModel
import SQLKit

extension LogsConnector {
    /// What settling a log did.
    public enum Settlement: Sendable, Equatable {
        /// The chunks were merged in the database, saving this many stored bytes.
        case merged(saved: Int)
        /// The lines were moved into the archive at this path.
        case archived(path: String)
        /// There was nothing to do: the log is gone, not finished, or settled already (here or by another master).
        case unchanged
    }

    /// Settles finished log `logid` as `storage` says: merges its chunks (``compressLog(_:)``), or moves its lines
    /// into a file of their own in the storage's directory (``LogArchive``), then marks it settled.
    ///
    /// Safe to run on several masters at once: merging rewrites lines only where they are as planned, and of two
    /// archives of one log only the first named in the log's row is kept.
    @discardableResult
    public func settleLog(_ logid: Int, storage: LogStorage) async throws -> Settlement {
        let state = try await database.withTransaction { sql in
            let state = try await sql.select().columns("complete", "compacted", "archive").from("logs")
                .where("id", .equal, logid).first()
                .map {
                    (
                        complete: try $0.decode(column: "complete", as: Bool.self),
                        compacted: try $0.decode(column: "compacted", as: Bool.self),
                        archive: try $0.decode(column: "archive", as: String?.self),
                        settled: false
                    )
                }
            guard var state, state.complete, !state.compacted, state.archive == nil, case .database = storage,
                try await Self.isSettled(logid, in: sql)
            else { return state }
            try await sql.update("logs").set("compacted", to: true).where("id", .equal, logid).run()
            state.settled = true
            return state
        }
        guard let state, state.complete, !state.compacted else { return .unchanged }
        if state.settled { return .merged(saved: 0) }
        // An archive named before its master stopped: only its chunks are left to delete.
        if let archive = state.archive {
            try await deleteChunks(of: logid)
            return .archived(path: archive)
        }
        switch storage {
        case .database:
            let saved = try await compressLog(logid)
            try await database.withTransaction { sql in
                try await sql.update("logs").set("compacted", to: true).where("id", .equal, logid).run()
            }
            return .merged(saved: saved)
        case .files(let directory):
            guard let path = try await archive(logid, into: directory) else { return .unchanged }
            try await deleteChunks(of: logid)
            return .archived(path: path)
        }
    }

    /// Whether log `logid` is as merging would leave it: no chunk, or one that compressing would not shrink.
    /// Most logs are one chunk; they are settled by the transaction that finds them so.
    static func isSettled(_ logid: Int, in sql: any SQLDatabase) async throws -> Bool {
        let chunks = try await sql.select().column("compressed").column(
            SQLFunction("LENGTH", args: SQLColumn("content")), as: "size"
        ).from("logchunks").where("logid", .equal, logid).limit(2).all()
        guard let chunk = chunks.first else { return true }
        guard chunks.count == 1 else { return false }
        return try chunk.decode(column: "compressed", as: Int.self) != LogChunkCodec.raw.rawValue
            || chunk.decode(column: "size", as: Int.self) < LogChunkCodec.smallestCompressed
    }

    /// Up to `limit` finished logs after log `after` still to settle, oldest first, that master `masterid` should
    /// settle: those of its own builds, and those of builds whose master is no longer active (it stopped or died
    /// before it settled them).
    public func logsToSettle(masterid: Int, after: Int = 0, limit: Int) async throws -> [Int] {
        try await database.withStatement { sql in
            try await sql.raw(
                """
                SELECT logs.id FROM logs
                JOIN steps ON steps.id = logs.stepid
                JOIN builds ON builds.id = steps.buildid
                WHERE logs.complete AND NOT logs.compacted AND logs.id > \(bind: after)
                AND (builds.masterid = \(bind: masterid) OR NOT EXISTS (
                    SELECT 1 FROM masters WHERE masters.id = builds.masterid AND masters.active))
                ORDER BY logs.id LIMIT \(literal: limit)
                """
            ).all(decodingColumn: "id", as: Int.self)
        }
    }

    /// Writes the lines of log `logid` into a new archive in `directory`, and names it in the log's row.
    /// - Returns: The archive's path; nil when another master archived the log first (this one's file is removed).
    private func archive(_ logid: Int, into directory: String) async throws -> String? {
        // A name no other master or cluster sharing the directory can choose.
        let path = "\(directory)/\(logid)-\(UUID().uuidString.lowercased()).log"
        let writer = try LogArchiveWriter(path: path)
        do {
            var pending = Data()
            var pendingLines = 0
            var next = 0
            while true {
                let chunks = try await database.withTransaction { [next] sql in
                    try await Self.chunks(logid, .from(next, through: .max), limit: Self.readBatch, in: sql)
                }
                guard !chunks.isEmpty else { break }
                for chunk in chunks {
                    // A chunk may start before `next` when another master archived the log meanwhile: its
                    // archive, read from then on, is cut elsewhere.
                    guard chunk.firstLine <= next, chunk.lastLine >= next else {
                        throw GantryError(.corruptState, "log \(logid) has no chunk holding line \(next)")
                    }
                    if pendingLines > 0 { pending.append(UInt8(ascii: "\n")) }
                    pending.append(chunk.textOfLines(from: next))
                    pendingLines += chunk.lastLine - next + 1
                    next = chunk.lastLine.addingSaturated(1)
                    if pending.count >= LogCompaction.mergedText {
                        try writer.append(EncodedLogChunk(text: pending, lineCount: pendingLines))
                        pending = Data()
                        pendingLines = 0
                    }
                }
            }
            if pendingLines > 0 { try writer.append(EncodedLogChunk(text: pending, lineCount: pendingLines)) }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        let lines = writer.lineCount
        let named = try await database.withTransaction { sql in
            try await sql.raw(
                """
                UPDATE logs SET archive = \(bind: path)
                WHERE id = \(bind: logid) AND archive IS NULL AND complete AND num_lines = \(bind: lines)
                RETURNING id
                """
            ).all().count == 1
        }
        guard named else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return path
    }

    /// Deletes the chunks of archived log `logid` from the database, a batch at a time, then marks it settled.
    private func deleteChunks(of logid: Int) async throws {
        while true {
            let deleted = try await database.withTransaction { sql in
                try await sql.raw(
                    """
                    DELETE FROM logchunks WHERE logid = \(bind: logid) AND first_line IN (
                        SELECT first_line FROM logchunks WHERE logid = \(bind: logid)
                        ORDER BY first_line LIMIT \(literal: Batches.size))
                    RETURNING logid
                    """
                ).all().count
            }
            if deleted < Batches.size { break }
        }
        try await database.withTransaction { sql in
            try await sql.update("logs").set("compacted", to: true).where("id", .equal, logid).run()
        }
    }
}
