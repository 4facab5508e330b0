public import Foundation
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
