public import Foundation
public import GantryModel
import SQLKit

/// The event feed: Buildbot's event keys (`builds/12/finished`) with the resource as the REST API shows it,
/// written in the same transaction as the change they announce, read in ascending id, which is commit order.
///
/// Writers record events with ``record(_:in:database:)`` as their transaction's last statements; readers page
/// with ``events(after:limit:)`` and are woken by `NotificationTopic.events`. Old events are trimmed; the highest
/// id trimmed is kept, so a reader whose cursor is below it knows it missed events.
public struct EventsConnector: Sendable {
    let database: Database

    /// How many events one trimming transaction deletes at most, so trimming a big backlog never holds a long
    /// transaction.
    static let trimBatch = 1_000

    /// Up to `limit` events with ids above `cursor`, ascending.
    public func events(after cursor: Int, limit: Int) async throws -> [FeedEvent] {
        try await page(after: cursor, limit: limit).events
    }

    /// Up to `limit` events with ids above `cursor`, ascending, and, when there are some, the highest id trimmed,
    /// read by the same statement: a trim that made a gap among these events shows with them. With no events,
    /// `trimmedThrough` is nil. One statement and no transaction, as a reader of a busy feed asks often.
    public func page(after cursor: Int, limit: Int) async throws -> (events: [FeedEvent], trimmedThrough: Int?) {
        guard limit > 0 else { return ([], nil) }
        let trimmed = SQLSubquery.select { $0.column("through").from("events_trimmed").where("id", .equal, 1) }
        let rows = try await database.withStatement { sql in
            try await sql.select().columns("id", "key", "payload", "at").column(trimmed, as: "trimmed")
                .from("events").where("id", .greaterThan, cursor).orderBy("id").limit(limit).all()
        }
        let events = try rows.map { row in
            let id = try row.decode(column: "id", as: Int.self)
            let text = try row.decode(column: "payload", as: String.self)
            guard let payload = try? JSONValue(json: text) else {
                throw StorageInvariantError("event \(id) has a payload that is not JSON")
            }
            return FeedEvent(
                id: id, key: try row.decode(column: "key", as: String.self), payload: payload,
                at: Date(timeIntervalSince1970: TimeInterval(try row.decode(column: "at", as: Int.self))))
        }
        let trimmedThrough = try rows.first.map { try $0.decode(column: "trimmed", as: Int?.self) ?? 0 }
        return (events, trimmedThrough)
    }

    /// Where the events end (``latestEventID()``) and the highest id trimmed, read together.
    public func head() async throws -> (newest: Int, trimmedThrough: Int) {
        try await database.withTransaction { sql in
            (try await Self.latestEventID(in: sql), try await Self.trimmedThrough(in: sql))
        }
    }

    /// The id of the newest event, or the highest id ever trimmed when every event was trimmed; 0 when there
    /// never was one. A reader starting here sees only events recorded after it asked.
    public func latestEventID() async throws -> Int {
        try await database.withTransaction { sql in try await Self.latestEventID(in: sql) }
    }

    /// ``latestEventID()`` in the caller's transaction.
    static func latestEventID(in sql: any SQLDatabase) async throws -> Int {
        let latest =
            try await sql.select().column(SQLFunction("MAX", args: SQLColumn("id")), as: "latest")
            .from("events").first(decodingColumn: "latest", as: Int?.self) ?? nil
        return max(latest ?? 0, try await trimmedThrough(in: sql))
    }

    /// The highest id ever trimmed; 0 when none was. A reader whose cursor is below it may have missed events.
    public func trimmedThrough() async throws -> Int {
        try await database.withTransaction { sql in try await Self.trimmedThrough(in: sql) }
    }

    /// Deletes the oldest events: those recorded before `olderThan`, and any beyond the newest `keepingAtMost` that
    /// every running reporter has read.
    /// What is deleted is always every event up to an id, so ``trimmedThrough()`` says exactly what is gone.
    /// Works in transactions of ``trimBatch`` events, each recording how far it trimmed.
    /// - Returns: The number of events deleted.
    @discardableResult
    public func trim(olderThan: Date, keepingAtMost: Int) async throws -> Int {
        // Clamped, so no time converts to an out-of-range integer.
        let seconds = olderThan.timeIntervalSince1970.rounded(.down)
        let cutoff = seconds.isNaN ? Int.min : Int(max(-9e18, min(9e18, seconds)))
        let through = try await database.withTransaction { sql in
            // The newest event recorded before the cutoff: those before it in id are older still, give or take
            // the clocks of the masters.
            let old =
                try await sql.select().column("id").from("events").where("at", .lessThan, cutoff)
                .orderBy("at", .descending).orderBy("id", .descending).limit(1)
                .first(decodingColumn: "id", as: Int.self) ?? 0
            // The newest event beyond the ones kept.
            let excess =
                try await sql.select().column("id").from("events").orderBy("id", .descending)
                .limit(1).offset(max(keepingAtMost, 0))
                .first(decodingColumn: "id", as: Int.self) ?? 0
            // Events a running reporter has not read yet are kept beyond the count (never beyond the age), so a
            // busy farm's log events cannot push a report out of the feed before its reporter got to it.
            let unread =
                try await sql.select()
                .column(SQLFunction("MIN", args: SQLColumn("event_cursor", table: "reporters")), as: "unread")
                .from("reporters")
                .join(
                    "reporter_masters", method: SQLJoinMethod.inner,
                    on: SQLColumn("reporterid", table: "reporter_masters"), .equal, SQLColumn("id", table: "reporters")
                )
                .first(decodingColumn: "unread", as: Int?.self) ?? nil
            return max(old, unread.map { min(excess, $0) } ?? excess)
        }
        var deleted = 0
        while true {
            let batch = try await database.withTransaction { sql in
                let ids = try await sql.delete(from: "events")
                    .where(
                        SQLColumn("id"), .in,
                        SQLGroupExpression(
                            sql.select().column("id").from("events").where("id", .lessThanOrEqual, through)
                                .orderBy("id").limit(Self.trimBatch).query)
                    )
                    .returning("id").all(decodingColumn: "id", as: Int.self)
                if let highest = ids.max() {
                    try await sql.insert(into: "events_trimmed").columns("id", "through")
                        .values(SQLBind(1), SQLBind(highest))
                        .onConflict(with: ["id"]) { update in
                            update.set(excludedValueOf: "through").where(
                                SQLColumn("through", table: "events_trimmed"), .lessThan, SQLExcludedColumn("through"))
                        }
                        .run()
                }
                return ids.count
            }
            deleted += batch
            if batch < Self.trimBatch { return deleted }
        }
    }

    private static func trimmedThrough(in sql: any SQLDatabase) async throws -> Int {
        try await sql.select().column("through").from("events_trimmed").where("id", .equal, 1)
            .first(decodingColumn: "through", as: Int.self) ?? 0
    }
}

extension Database {
    /// The event feed of this database.
    public var events: EventsConnector { EventsConnector(database: self) }
}
