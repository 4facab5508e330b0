public import Foundation
public import GantryModel
import SQLKit

extension BuildRequestsConnector {
    /// The requests of one builder waiting for a master to claim them.
    public struct Queue: Sendable, Hashable {
        public var builderID: Int
        public var builderName: String
        /// How many are waiting.
        public var pending: Int
        /// When the one waiting longest was submitted.
        public var oldestSubmittedAt: Date
    }

    /// The waiting (incomplete, unclaimed) requests per builder, of `builderids` or of every builder, by builder
    /// id (builders with none waiting are left out): one grouped statement over the incomplete requests, so the
    /// cost follows the queue, not the history.
    public func getQueues(builderids: [Int]? = nil) async throws -> [Int: Queue] {
        if builderids?.isEmpty == true { return [:] }
        return try await database.withTransaction { sql in
            let builder = SQLColumn("builderid", table: "buildrequests")
            let name = SQLColumn("name", table: "builders")
            var queues: [Int: Queue] = [:]
            // Every builder in one statement, or those asked for in batches.
            let batches: [ArraySlice<Int>?] = builderids.map { Batches.of(Array(Set($0))).map(Optional.some) } ?? [nil]
            for batch in batches {
                let query = sql.select().column(builder, as: "builderid").column(name, as: "buildername")
                    .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "pending")
                    .column(SQLFunction("MIN", args: SQLColumn("submitted_at", table: "buildrequests")), as: "oldest")
                    .from("buildrequests")
                    .join("builders", on: SQLColumn("id", table: "builders"), .equal, builder)
                    .join(
                        "buildrequest_claims", method: SQLJoinMethod.left,
                        on: SQLColumn("brid", table: "buildrequest_claims"), .equal,
                        SQLColumn("id", table: "buildrequests")
                    )
                    .where(SQLColumn("complete", table: "buildrequests"), .equal, SQLBind(false))
                    .where(SQLColumn("brid", table: "buildrequest_claims"), .is, SQLLiteral.null)
                    .groupBy(builder).groupBy(name)
                if let batch { query.where(builder, .in, SQLBind.group(Array(batch))) }
                for row in try await query.all() {
                    let id = try row.decode(column: "builderid", as: Int.self)
                    queues[id] = Queue(
                        builderID: id, builderName: try row.decode(column: "buildername", as: String.self),
                        pending: try row.decode(column: "pending", as: Int.self),
                        oldestSubmittedAt: Date(
                            timeIntervalSince1970: TimeInterval(try row.decode(column: "oldest", as: Int.self))))
                }
            }
            return queues
        }
    }
}

extension BuildRequestsConnector {
    /// The heads of the fair queues of some builders: the requests that could start next.
    public struct QueueHeads: Sendable, Hashable {
        /// The waiting requests read, in no particular order.
        public var requests: [BuildRequest]
        /// Each request's origin, as ``BuildsetOrigin/queueKey``, by request id.
        public var origins: [Int: String]
    }

    /// For each builder of `openings`, the first `openings[builder]` waiting requests of each origin on it, by
    /// priority (highest first), then submission time, then id. A builder that can start `n` builds starts them
    /// from these, whatever the length of its queue: under any fair order, no request beyond the first `n` of
    /// its origin comes before all of those. The origins are found by skipping through the queue index, one
    /// lookup per origin, and each origin's head is one bounded index range; so the cost follows the origins and
    /// the openings, never the number of waiting requests. The heads are a hint, read without a transaction on
    /// SQLite: the claim that follows takes only a request still waiting and claimed by no one.
    public func getQueueHeads(_ openings: [Int: Int]) async throws -> QueueHeads {
        let wanted = openings.filter { $0.value > 0 }
        if wanted.isEmpty { return QueueHeads(requests: [], origins: [:]) }
        return try await database.withStatement { sql in
            var heads = QueueHeads(requests: [], origins: [:])
            for (builderid, count) in wanted.sorted(by: { $0.key < $1.key }) {
                for origin in try await Self.origins(builderid: builderid, in: sql) {
                    for row in try await Self.head(builderid: builderid, origin: origin, count: count, in: sql) {
                        let request = try Self.buildRequest(row)
                        heads.requests.append(request)
                        heads.origins[request.id] = origin
                    }
                }
            }
            return heads
        }
    }

    /// The distinct origins of the incomplete requests of `builderid`, by a loose scan of the queue index: each
    /// step looks up the least origin after the previous one.
    private static func origins(builderid: Int, in sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw(
            """
            WITH RECURSIVE queue(origin) AS (
                SELECT MIN(origin) FROM buildrequests WHERE builderid = \(bind: builderid) AND complete = \(bind: false)
                UNION ALL
                SELECT (
                    SELECT MIN(origin) FROM buildrequests
                    WHERE builderid = \(bind: builderid) AND complete = \(bind: false) AND origin > queue.origin
                ) FROM queue WHERE queue.origin IS NOT NULL
            )
            SELECT origin FROM queue WHERE origin IS NOT NULL
            """
        ).all(decodingColumn: "origin", as: String.self)
    }

    /// The first `count` unclaimed incomplete requests of one origin on `builderid`, in the queue index's order.
    /// The claimed ones it passes over are the builds running now.
    private static func head(
        builderid: Int, origin: String, count: Int, in sql: any SQLDatabase
    ) async throws -> [any SQLRow] {
        let request = { (column: String) in SQLColumn(column, table: "buildrequests") }
        return try await selectRequests(in: sql)
            .where(request("builderid"), .equal, SQLBind(builderid))
            .where(request("complete"), .equal, SQLBind(false))
            .where(request("origin"), .equal, SQLBind(origin))
            .where(SQLColumn("brid", table: "buildrequest_claims"), .is, SQLLiteral.null)
            .orderBy(SQLOrderBy(expression: request("priority"), direction: SQLDirection.descending))
            .orderBy(request("submitted_at"))
            .orderBy(request("id"))
            .limit(count)
            .all()
    }
}
