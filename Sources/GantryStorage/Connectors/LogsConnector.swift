import Foundation
public import GantryModel
import SQLKit

/// The logs of steps, stored as chunks of whole lines as they arrive, so a log can be read by line numbers
/// (from 0) while it is still being written.
public struct LogsConnector: Sendable {
    let database: Database

    /// Adds log `name` to step `stepid`; its slug is the name with everything but letters, digits, `-` and `_`
    /// replaced by `_`, made unique within the step.
    public func addLog(stepid: Int, name: String, kind: StepLog.Kind) async throws -> Int {
        try await database.withTransaction { sql in
            let taken = Set(
                try await sql.select().column("slug").from("logs").where("stepid", .equal, stepid)
                    .all(decodingColumn: "slug", as: String.self))
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
            try await Self.record(log, "new", in: sql, database: database)
            return id
        }
    }

    /// Appends `content`, one or more whole lines each ending in `\n`, and returns their line numbers.
    /// - Throws: `GantryError.invalidArgument` when the content does not end with a newline.
    @discardableResult
    public func appendLog(_ logid: Int, _ content: String) async throws -> ClosedRange<Int> {
        guard content.utf8.last == UInt8(ascii: "\n") else {
            throw GantryError(.invalidArgument, "log content must be whole lines ending with a newline")
        }
        let count = content.utf8.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        return try await database.withTransaction { sql in
            // Read whole: with its new line count, it is the payload of the `append` event.
            guard var log = try await Self.logs(sql.select().where("id", .equal, logid)).first else {
                throw GantryError(.notFound, "no log \(logid)")
            }
            let first = log.numLines
            let lines = first...(first + count - 1)
            try await sql.insert(into: "logchunks")
                .columns("logid", "first_line", "last_line", "content")
                .values(
                    SQLBind(logid), SQLBind(lines.lowerBound), SQLBind(lines.upperBound),
                    SQLBind(Data(content.utf8.dropLast()))
                )
                .run()
            try await sql.update("logs").set("num_lines", to: first + count).where("id", .equal, logid).run()
            log.numLines = first + count
            try await Self.record(log, "append", in: sql, database: database)
            return lines
        }
    }

    /// Lines `first...last` of the log (those that exist), each ending in `\n`.
    public func getLogLines(_ logid: Int, first: Int, last: Int) async throws -> String {
        try await database.withTransaction { sql in try await Self.lines(logid, first: first, last: last, in: sql) }
    }

    /// ``getLogLines(_:first:last:)`` in the caller's transaction.
    static func lines(_ logid: Int, first: Int, last: Int, in sql: any SQLDatabase) async throws -> String {
        guard first <= last else { return "" }
        var text = ""
        for row in try await sql.select().columns("first_line", "content").from("logchunks")
            .where("logid", .equal, logid)
            .where("last_line", .greaterThanOrEqual, first)
            .where("first_line", .lessThanOrEqual, last)
            .orderBy("first_line")
            .all()
        {
            let start = try row.decode(column: "first_line", as: Int.self)
            // Lines end at `\n` bytes only: a `\r\n` is one Character, but a line ending in `\r` all the same.
            let lines = try row.decode(column: "content", as: Data.self).split(
                separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for (offset, line) in lines.enumerated() where (first...last).contains(start.addingSaturated(offset)) {
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
            let rows = try await database.withTransaction { sql in
                try await sql.select().columns("first_line", "last_line", "content").from("logchunks")
                    .where("logid", .equal, logid).where("first_line", .greaterThanOrEqual, next)
                    .orderBy("first_line").limit(64).all()
            }
            guard !rows.isEmpty else { return }
            for row in rows {
                try await body(Self.text(try row.decode(column: "content", as: Data.self)[...]) + "\n")
                next = try row.decode(column: "last_line", as: Int.self).addingSaturated(1)
            }
        }
    }

    /// A chunk's lines as text: bytes that are not UTF-8 read as U+FFFD, NUL and control characters as they are.
    private static func text(_ content: Data.SubSequence) -> String {
        String(decoding: content, as: UTF8.self)
    }

    /// Marks the log complete: no more lines come.
    public func finishLog(_ logid: Int) async throws {
        try await database.withTransaction { sql in
            try await sql.update("logs").set("complete", to: true).where("id", .equal, logid).run()
            guard let log = try await Self.logs(sql.select().where("id", .equal, logid)).first else { return }
            try await Self.record(log, "finished", in: sql, database: database)
        }
    }

    /// Records `logs/<id>/<event>` with `log` as its payload, as the transaction's last statements.
    private static func record(_ log: StepLog, _ event: String, in sql: any SQLDatabase, database: Database)
        async throws
    {
        var events = FeedChanges()
        events.add(key: "logs/\(log.id)/\(event)", payload: log.resource)
        try await EventsConnector.record(events, in: sql, database: database)
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
