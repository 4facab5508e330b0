public import GantryModel
import SQLKit

extension ChangesConnector {
    /// The newest `limit` changes of the source stamps `sourceStampIDs` (what a build of those stamps built),
    /// oldest first.
    public func getChanges(sourceStampIDs: [Int], limit: Int) async throws -> [Change] {
        let stamps = Array(Set(sourceStampIDs))
        guard !stamps.isEmpty, limit > 0 else { return [] }
        return try await database.withTransaction { sql in
            var ids: [Int] = []
            for batch in Batches.of(stamps) {
                ids += try await sql.select().column("changeid").from("changes")
                    .where("sourcestampid", .in, SQLBind.group(Array(batch)))
                    .orderBy("changeid", .descending).limit(limit)
                    .all(decodingColumn: "changeid", as: Int.self)
            }
            return try await Self.changes(ids: Array(ids.sorted().suffix(limit)), in: sql)
        }
    }
}
