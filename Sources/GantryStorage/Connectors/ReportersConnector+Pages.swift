public import Foundation
import SQLKit

extension ReportersConnector {
    /// The most deliveries one read returns.
    public static let maxLimit = 1_000

    /// Every reporter, by id, with its claim, its cursor and a summary of its outbox.
    public func statuses() async throws -> [ReporterStatus] {
        try await database.withTransaction { sql in
            var counts: [Int: [DeliveryState: Int]] = [:]
            var lastDelivered: [Int: Date] = [:]
            let groups = try await sql.select().columns("reporterid", "state")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .column(SQLFunction("MAX", args: SQLColumn("delivered_at")), as: "last_delivered_at")
                .from("reporter_deliveries").groupBy("reporterid").groupBy("state")
                .all()
            for row in groups {
                let reporterid = try row.decode(column: "reporterid", as: Int.self)
                if let state = DeliveryState(rawValue: try row.decode(column: "state", as: String.self)) {
                    counts[reporterid, default: [:]][state] = try row.decode(column: "n", as: Int.self)
                }
                if let seconds = try row.decode(column: "last_delivered_at", as: Int?.self) {
                    lastDelivered[reporterid] = Date(epochSeconds: seconds)
                }
            }
            var statuses: [ReporterStatus] = []
            for row in try await claims.services(extraColumns: ["event_cursor"], in: sql) {
                let id = try row.decode(column: "id", as: Int.self)
                let count = { (state: DeliveryState) in counts[id]?[state] ?? 0 }
                var status = ReporterStatus(
                    id: id,
                    name: try row.decode(column: "name", as: String.self),
                    masterID: try row.decode(column: "masterid", as: Int?.self),
                    cursor: try row.decode(column: "event_cursor", as: Int?.self),
                    pending: count(.pending) + count(.sending),
                    failed: count(.failed),
                    interrupted: count(.interrupted),
                    delivered: count(.delivered),
                    lastDeliveredAt: lastDelivered[id]
                )
                // A handful of reporters: one short read each, served by the reporter's index.
                if let error = try await sql.select().columns("last_error", "last_error_at")
                    .from("reporter_deliveries")
                    .where("reporterid", .equal, id).where(SQLColumn("last_error_at"), .isNot, SQLLiteral.null)
                    .orderBy("last_error_at", .descending).orderBy("id", .descending).limit(1).first()
                {
                    status.lastError = try error.decode(column: "last_error", as: String?.self)
                    status.lastErrorAt = Date(epochSeconds: try error.decode(column: "last_error_at", as: Int.self))
                }
                statuses.append(status)
            }
            return statuses
        }
    }

    /// Newest first, `limit` at most (held within 1...``maxLimit``), of the reporter called `reporter` or of all,
    /// before id `before` for paging: the next page starts before the last id of this one.
    public func deliveries(reporter: String? = nil, limit: Int, before: Int? = nil) async throws -> [Delivery] {
        let count = min(max(limit, 1), Self.maxLimit)
        return try await database.withTransaction { sql in
            let query = sql.select()
            if let reporter {
                query.where(
                    SQLColumn("reporterid"), .in,
                    SQLGroupExpression(
                        sql.select().column("id").from("reporters")
                            .where("name_hash", .equal, NameHash.of(reporter)).query)
                )
            }
            if let before { query.where("id", .lessThan, before) }
            return try await Self.deliveries(query.orderBy("id", .descending).limit(count))
        }
    }

    /// Deletes the finished deliveries (delivered, failed, superseded, interrupted) whose last change, their
    /// delivery or last error or else their creation, is before `olderThan`; pending ones are kept whatever their
    /// age. Works in transactions of ``deleteBatch`` deliveries, so a big backlog never holds a long transaction.
    /// - Returns: How many were deleted.
    @discardableResult
    public func deleteFinished(olderThan: Date) async throws -> Int {
        let cutoff = olderThan.epochSeconds
        let finished = DeliveryState.finished.map(\.rawValue)
        let lastChange = SQLFunction(
            "COALESCE", args: SQLColumn("delivered_at"), SQLColumn("last_error_at"), SQLColumn("created_at"))
        var deleted = 0
        while true {
            let batch = try await database.withTransaction { sql in
                try await sql.delete(from: "reporter_deliveries")
                    .where(
                        SQLColumn("id"), .in,
                        SQLGroupExpression(
                            sql.select().column("id").from("reporter_deliveries")
                                .where("state", .in, SQLBind.group(finished))
                                .where(lastChange, .lessThan, SQLBind(cutoff))
                                .orderBy("id").limit(Self.deleteBatch).query)
                    )
                    .returning("id").all().count
            }
            deleted += batch
            if batch < Self.deleteBatch { return deleted }
        }
    }
}
