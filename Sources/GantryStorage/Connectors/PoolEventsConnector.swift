import Foundation
public import GantryModel
import SQLKit

/// The `pool_events` table: each pool's event log, the newest `kept` events per pool.
public struct PoolEventsConnector: Sendable {
    let database: Database
    /// How many events of a pool are kept; older ones are deleted as new ones come.
    public static let kept = 10_000

    /// Appends `event` to its pool's log, and drops what falls beyond the newest `keeping`, in one transaction.
    public func addPoolEvent(_ event: PoolEvent, keeping: Int = kept) async throws {
        let atMilliseconds = Int((event.time.timeIntervalSince1970 * 1000).rounded())
        // As it is read back: to the millisecond.
        var stored = event
        stored.time = Date(timeIntervalSince1970: TimeInterval(atMilliseconds) / 1000)
        var events = FeedChanges()
        events.add(key: Self.eventKey(stored), payload: stored.resource)
        try await database.withTransaction { sql in
            try await sql.insert(into: "pool_events")
                .columns("pool", "worker", "event", "detail", "masterid", "at_ms")
                .values(
                    SQLBind(event.pool), SQLBind(event.worker), SQLBind(event.kind.rawValue), SQLBind(event.detail),
                    SQLBind(event.masterID), SQLBind(atMilliseconds)
                )
                .run()
            let oldestKept = sql.select().column("id").from("pool_events").where("pool", .equal, event.pool)
                .orderBy("id", .descending).limit(1).offset(keeping - 1)
            try await sql.delete(from: "pool_events")
                .where("pool", .equal, event.pool)
                .where(SQLColumn("id"), .lessThan, SQLGroupExpression(oldestKept.query))
                .run()
            try await EventsConnector.record(events, in: sql, database: database)
        }
    }

    /// `pools/<name>/<event>`, the event's kind with `_` for spaces (`start_requested`), as event keys have none.
    static func eventKey(_ event: PoolEvent) -> String {
        "pools/\(event.pool)/\(event.kind.rawValue.replacingOccurrences(of: " ", with: "_"))"
    }

    /// The pool's newest `limit` events (all kept ones by default), oldest first.
    public func getPoolEvents(_ pool: String, limit: Int = kept) async throws -> [PoolEvent] {
        try await database.withTransaction { sql in
            try await sql.select()
                .columns("pool", "worker", "event", "detail", "masterid", "at_ms")
                .from("pool_events").where("pool", .equal, pool)
                .orderBy("id", .descending).limit(limit)
                .all()
                .reversed()
                .map { row in
                    PoolEvent(
                        time: Date(
                            timeIntervalSince1970: TimeInterval(try row.decode(column: "at_ms", as: Int.self)) / 1000),
                        pool: try row.decode(column: "pool", as: String.self),
                        worker: try row.decode(column: "worker", as: String?.self),
                        kind: PoolEvent.Kind(rawValue: try row.decode(column: "event", as: String.self)) ?? .retired,
                        detail: try row.decode(column: "detail", as: String?.self),
                        masterID: try row.decode(column: "masterid", as: Int?.self))
                }
        }
    }
}

extension Database {
    /// The pool events connector of this database.
    public var poolEvents: PoolEventsConnector { PoolEventsConnector(database: self) }
}
