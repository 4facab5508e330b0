import GantryModel
import SQLKit

extension MastersConnector {
    /// What a master holds: the clustered services it runs, the workers connected to it and its unfinished builds.
    public struct Holdings: Sendable, Hashable {
        public var schedulers = 0
        public var changeSources = 0
        public var pools = 0
        public var connectedWorkers = 0
        public var runningBuilds = 0

        /// Nothing held.
        public init() {}
    }

    /// What each of `masterids` holds, by master id (all zero for an unknown id): one grouped count per kind, so
    /// the cost follows the number of masters asked about, not the size of the tables.
    public func getHoldings(of masterids: [Int]) async throws -> [Int: Holdings] {
        let ids = Array(Set(masterids))
        guard !ids.isEmpty else { return [:] }
        return try await database.withTransaction { sql in
            var holdings = Dictionary(uniqueKeysWithValues: ids.map { ($0, Holdings()) })
            let kinds: [(table: String, count: WritableKeyPath<Holdings, Int>)] = [
                ("scheduler_masters", \.schedulers), ("changesource_masters", \.changeSources),
                ("pool_masters", \.pools), ("connected_workers", \.connectedWorkers), ("builds", \.runningBuilds),
            ]
            for kind in kinds {
                let query = sql.select().column("masterid")
                    .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "held")
                    .from(kind.table).where("masterid", .in, SQLBind.group(ids)).groupBy("masterid")
                if kind.table == "builds" { query.where(SQLColumn("complete_at"), .is, SQLLiteral.null) }
                for row in try await query.all() {
                    let masterid = try row.decode(column: "masterid", as: Int.self)
                    holdings[masterid]?[keyPath: kind.count] = try row.decode(column: "held", as: Int.self)
                }
            }
            return holdings
        }
    }
}
