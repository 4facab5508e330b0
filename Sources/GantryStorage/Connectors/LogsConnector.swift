import Foundation
public import GantryModel
import SQLKit

/// The logs of steps, stored as chunks of whole lines as they arrive, so a log can be read by line numbers
/// (from 0) while it is still being written. A chunk holds at most 64 KiB of text unless one line is longer, and is
/// stored zlib-compressed when that makes it smaller; a finished log's chunks are merged into larger ones.
public struct LogsConnector: Sendable {
    let database: Database

    /// Adds log `name` to step `stepid`; its slug is the name with everything but letters, digits, `-` and `_`
    /// replaced by `_`, made unique within the step.
    public func addLog(stepid: Int, name: String, kind: StepLog.Kind) async throws -> Int {
        try await database.withTransaction { sql in
            try await Self.add(stepid: stepid, name: name, kind: kind, in: sql, database: database)
        }
    }

    /// Adds a log in the caller's transaction; its id.
    static func add(stepid: Int, name: String, kind: StepLog.Kind, in sql: any SQLDatabase, database: Database)
        async throws -> Int
    {
        let taken = Set(
            try await sql.select().column("slug").from("logs").where("stepid", .equal, stepid)
                .all(decodingColumn: "slug", as: String.self))
        let added = try await insert(stepid: stepid, name: name, kind: kind, taken: taken, in: sql)
        try await EventsConnector.record(added.events, in: sql, database: database)
        return added.id
    }

    /// Inserts a log whose slug is none of `taken` (the step's other logs'), in the caller's transaction; its id
    /// and its `new` event, for the caller to record.
    static func insert(stepid: Int, name: String, kind: StepLog.Kind, taken: Set<String>, in sql: any SQLDatabase)
        async throws -> (id: Int, events: FeedChanges)
    {
        let base = String(
            String(
                name.unicodeScalars.map {
                    $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" ? Character($0) : "_"
                }
            )
            .prefix(45))
        var slug = base.isEmpty ? "log" : base
        var suffix = 2
        while taken.contains(slug) {
            slug = "\(base)_\(suffix)"
            suffix += 1
        }
        guard
            let id = try await sql.insert(into: "logs")
                .columns("name", "slug", "stepid", "type")
                .values(SQLBind(name), SQLBind(slug), SQLBind(stepid), SQLBind(kind.rawValue))
                .returning("id")
                .first(decodingColumn: "id", as: Int.self)
        else { throw StorageInvariantError("log insert returned no id") }
        let log = StepLog(id: id, name: name, slug: slug, stepID: stepid, complete: false, numLines: 0, kind: kind)
        return (id, Self.changes(log, "new"))
    }

    /// Appends `content`, one or more whole lines each ending in `\n`, and returns their line numbers.
    /// - Throws: `GantryError.invalidArgument` when the content does not end with a newline.
    @discardableResult
    public func appendLog(_ logid: Int, _ content: String) async throws -> ClosedRange<Int> {
        // Cut and compressed before the transaction, which then only writes.
        let chunks = try EncodedLogChunk.cutting(lines: content)
        let count = chunks.reduce(0) { $0 + $1.lineCount }
        return try await database.withTransaction { sql in
            // Read whole: with its new line count, it is the payload of the `append` event.
            guard var log = try await Self.logs(sql.select().where("id", .equal, logid)).first else {
                throw GantryError(.notFound, "no log \(logid)")
            }
            let first = log.numLines
            let end = try await EncodedLogChunk.insert(chunks, logid: logid, from: first, in: sql)
            try await sql.update("logs").set("num_lines", to: end).where("id", .equal, logid).run()
            log.numLines = end
            try await Self.record(log, "append", in: sql, database: database)
            return first...(first + count - 1)
        }
    }

    /// Lines `first...last` of the log (those that exist), each ending in `\n`. The text stops before the line that would take it past `maxBytes` (the first line always comes whole), and
    /// the chunks are read a few at a time: what one read of a huge log holds stays bounded.
    public func getLogLines(_ logid: Int, first: Int, last: Int, maxBytes: Int = .max) async throws -> String {
        var text = ""
        var next = first
        while next <= last {
            let chunks = try await database.withTransaction { [next] sql in
                try await Self.chunks(logid, .from(next, through: last), limit: Self.readBatch, in: sql)
            }
            guard !chunks.isEmpty else { break }
            for chunk in chunks {
                // Lines end at `\n` bytes only: a `\r\n` is one Character, but a line ending in `\r` all the same.
                for (number, line) in chunk.lines where (next...last).contains(number) {
                    let shown = Self.text(line) + "\n"
                    if !text.isEmpty, text.utf8.count.addingSaturated(shown.utf8.count) > maxBytes { return text }
                    text += shown
                }
                next = chunk.lastLine.addingSaturated(1)
            }
        }
        return text
    }

    /// ``getLogLines(_:first:last:)`` in the caller's transaction.
    static func lines(_ logid: Int, first: Int, last: Int, in sql: any SQLDatabase) async throws -> String {
        guard first <= last else { return "" }
        var text = ""
        for chunk in try await chunks(logid, .from(first, through: last), limit: nil, in: sql) {
            // Lines end at `\n` bytes only: a `\r\n` is one Character, but a line ending in `\r` all the same.
            for (number, line) in chunk.lines where (first...last).contains(number) {
                text += Self.text(line) + "\n"
            }
        }
        return text
    }

    /// Every line of the log in order, handed to `body` a few chunks at a time (each line ending in `\n`), so a
    /// log of any size is read in bounded memory.
    public func withLines(_ logid: Int, _ body: (String) async throws -> Void) async throws {
        var next = 0
        while true {
            let chunks = try await database.withTransaction { [next] sql in
                try await Self.chunks(logid, .from(next, through: .max), limit: Self.readBatch, in: sql)
            }
            guard !chunks.isEmpty else { return }
            for chunk in chunks {
                try await body(Self.text(chunk.textOfLines(from: next)) + "\n")
                next = chunk.lastLine.addingSaturated(1)
            }
        }
    }

    /// The chunks read at once: a log is read a few chunks at a time, never held whole.
    static let readBatch = 16

    /// Which chunks of a log a read takes.
    enum ChunkSpan {
        /// Those holding lines `first...last`, in line order.
        case from(_ first: Int, through: Int)
        /// Those starting before the line, the last first.
        case before(Int)
    }

    /// Up to `limit` chunks (all when nil) of log `logid` in `span`: from the database, or from the log's archive
    /// once it has one. The log's row and its chunks are read by one statement, so of one state: a log's chunks
    /// leave the database only after its row names the archive, so a read finds every line in one or the other.
    /// The chunk holding the first line is found in that statement too: a compaction may merge chunks between two
    /// statements, and then no line is missed or repeated.
    static func chunks(_ logid: Int, _ span: ChunkSpan, limit: Int?, in sql: any SQLDatabase) async throws
        -> [LogChunk]
    {
        let within: SQLQueryString
        let order: SQLQueryString
        switch span {
        case .from(let first, let last):
            // A range of the (logid, first_line) index: from the chunk holding `first` on.
            within = """
                c.first_line >= COALESCE((
                    SELECT first_line FROM logchunks WHERE logid = \(bind: logid) AND first_line <= \(bind: first)
                    ORDER BY first_line DESC LIMIT 1), 0)
                AND c.first_line <= \(bind: last) AND c.last_line >= \(bind: first)
                """
            order = "c.first_line"
        case .before(let line):
            within = "c.first_line < \(bind: line)"
            order = "c.first_line DESC"
        }
        let limited: SQLQueryString = limit.map { "LIMIT \(literal: $0)" } ?? ""
        let rows = try await sql.raw(
            """
            SELECT logs.archive, c.first_line, c.last_line, c.content, c.compressed
            FROM logs LEFT JOIN logchunks c ON c.logid = logs.id AND \(within)
            WHERE logs.id = \(bind: logid)
            ORDER BY \(order) \(limited)
            """
        ).all()
        if let path = try rows.first?.decode(column: "archive", as: String?.self) {
            let archive = try LogArchive(path: path, of: "log \(logid)")
            switch span {
            case .from(let first, let last):
                return try archive.chunks(from: first, through: last, limit: limit, of: "log \(logid)")
            case .before(let line):
                return try archive.chunks(before: line, limit: limit ?? .max, of: "log \(logid)")
            }
        }
        return try rows.filter { try !$0.decodeNil(column: "first_line") }.map { try LogChunk($0, logid: logid) }
    }

    /// A chunk's lines as text: bytes that are not UTF-8 read as U+FFFD, NUL and control characters as they are.
    private static func text(_ content: Data) -> String {
        String(decoding: content, as: UTF8.self)
    }

    /// Marks the log complete (no more lines come) and wakes this master's log settler, which merges or archives
    /// its chunks in the background (``settleLog(_:storage:)``): a step does not wait for a large log to settle.
    public func finishLog(_ logid: Int) async throws {
        _ = try await database.withTransaction { sql in try await Self.finish(logid, in: sql, database: database) }
        database.notifier.deliver(.logsFinished)
    }

    /// Marks the log complete in the caller's transaction, after appending `lastLines` (cut and compressed by
    /// ``EncodedLogChunk/cutting(lines:)``), the lines still waiting when its step ended: a short step's output
    /// costs no transaction of its own. With `settling`, a log that is already as merging would leave it (most
    /// are one chunk) is marked settled too, and the log settler has nothing left to do for it.
    /// - Returns: Whether the log is left for the log settler, which the caller wakes once it commits.
    static func finish(
        _ logid: Int, appending lastLines: [EncodedLogChunk] = [], settling: Bool = false, in sql: any SQLDatabase,
        database: Database
    ) async throws -> Bool {
        guard var log = try await Self.logs(sql.select().where("id", .equal, logid)).first else { return false }
        var events = FeedChanges()
        if !lastLines.isEmpty {
            log.numLines = try await EncodedLogChunk.insert(lastLines, logid: logid, from: log.numLines, in: sql)
            events.add(key: "logs/\(log.id)/append", payload: log.resource)
        }
        let settled = settling ? try await Self.isSettled(logid, in: sql) : false
        let update = sql.update("logs").set("complete", to: true).set("num_lines", to: log.numLines)
        if settled { update.set("compacted", to: true) }
        try await update.where("id", .equal, logid).run()
        log.complete = true
        events.add(key: "logs/\(log.id)/finished", payload: log.resource)
        try await EventsConnector.record(events, in: sql, database: database)
        return !settled
    }

    /// Records `logs/<id>/<event>` with `log` as its payload, as the transaction's last statements.
    private static func record(_ log: StepLog, _ event: String, in sql: any SQLDatabase, database: Database)
        async throws
    {
        try await EventsConnector.record(changes(log, event), in: sql, database: database)
    }

    /// Event `event` of `log`, with the payload the caller holds.
    private static func changes(_ log: StepLog, _ event: String) -> FeedChanges {
        var events = FeedChanges()
        events.add(key: "logs/\(log.id)/\(event)", payload: log.resource)
        return events
    }

    /// The logs of step `stepid`, in the order they were added.
    public func getLogs(stepid: Int) async throws -> [StepLog] {
        try await database.withTransaction { sql in try await Self.logs(sql.select().where("stepid", .equal, stepid)) }
    }

    /// The log `logid`; `nil` when there is none.
    public func getLog(_ logid: Int) async throws -> StepLog? {
        try await database.withTransaction { sql in try await Self.logs(sql.select().where("id", .equal, logid)).first }
    }

    private static func logs(_ query: SQLSelectBuilder) async throws -> [StepLog] {
        try await query.columns("id", "name", "slug", "stepid", "complete", "num_lines", "type").from("logs")
            .orderBy("id")
            .all()
            .map { row in
                StepLog(
                    id: try row.decode(column: "id", as: Int.self),
                    name: try row.decode(column: "name", as: String.self),
                    slug: try row.decode(column: "slug", as: String.self),
                    stepID: try row.decode(column: "stepid", as: Int.self),
                    complete: try row.decode(column: "complete", as: Bool.self),
                    numLines: try row.decode(column: "num_lines", as: Int.self),
                    kind: StepLog.Kind(rawValue: try row.decode(column: "type", as: String.self)) ?? .text
                )
            }
    }
}

extension Database {
    /// The logs connector of this database.
    public var logs: LogsConnector { LogsConnector(database: self) }
}
