import Foundation
public import GantryModel
import SQLKit

/// The `masters` table: registration by name, check-in state, and the cleanup of scheduler claims.
public struct MastersConnector: Sendable {
    let database: Database

    /// The id of the master called `name` (case-sensitive), registering it inactive with `last_active = now`
    /// when it is new. Concurrent callers with one new name all get the same id.
    public func findMasterId(_ name: String) async throws -> Int {
        let now = database.clock.epochSeconds()
        return try await database.findOrCreateID(
            in: "masters", key: [("name_hash", NameHash.of(name))],
            extra: [("name", name), ("active", false), ("last_active", now)])
    }

    /// Marks a master active or inactive.
    ///
    /// `active = true` refreshes `last_active` even when already active; `active = false` keeps it and deletes
    /// the master's scheduler claims.
    /// - Returns: `false` for an unknown id (nothing is inserted); otherwise whether the state changed.
    @discardableResult
    public func setMasterState(_ masterid: Int, active: Bool) async throws -> Bool {
        let now = database.clock.epochSeconds()
        return try await database.withTransaction { sql in
            guard
                let wasActive = try await sql.select().column("active").from("masters")
                    .where("id", .equal, masterid)
                    .first(decodingColumn: "active", as: Bool.self)
            else { return false }
            let update = sql.update("masters").set("active", to: active).where("id", .equal, masterid)
            var released: [Int] = []
            if active {
                update.set("last_active", to: now)
            } else {
                released = try await sql.delete(from: "scheduler_masters").where("masterid", .equal, masterid)
                    .returning("schedulerid").all(decodingColumn: "schedulerid", as: Int.self)
            }
            try await update.run()
            var events = FeedChanges()
            if wasActive != active { events.add(.masters, [masterid], active ? "started" : "stopped") }
            events.add(.schedulers, released.sorted(), "updated")
            try await EventsConnector.record(events, in: sql, database: database)
            return wasActive != active
        }
    }

    /// The master with id `masterid`, or `nil`.
    public func getMaster(_ masterid: Int) async throws -> Master? {
        try await database.withTransaction { sql in
            try await Self.select(sql).where("id", .equal, masterid).first().map(Self.master)
        }
    }

    /// The masters matching `spec`, in its order (then by id), with the number that matched before paging.
    /// - Parameter builderid: Only the masters running builder `builderid`.
    public func getMasters(_ spec: ResultSpec<MasterField> = ResultSpec(), builderid: Int? = nil) async throws
        -> Page<Master>
    {
        let dialect = database.dialect
        return try await database.withTransaction { sql in
            func matching(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
                if let builderid {
                    let running = sql.select().column("masterid").from("builder_masters")
                        .where("builderid", .equal, builderid)
                    query.where(SQLColumn("id"), .in, SQLGroupExpression(running.query))
                }
                spec.applyFilters(to: query, dialect: dialect, column: Self.column)
                return query
            }
            let count = matching(
                sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("masters"))
            let total = try await count.first(decodingColumn: "total", as: Int.self) ?? 0
            let query = matching(Self.select(sql))
            spec.applyPaging(to: query, tieBreak: SQLColumn("id"), column: Self.column)
            return Page(items: try await query.all().map(Self.master), total: total)
        }
    }

    /// Marks every master active with `last_active` at the epoch, so the next master to start expires them all
    /// and cleans up after them. `gantry upgrade-master` calls this; unlike Buildbot 4.3's, it commits.
    public func setAllMastersActiveLongTimeAgo() async throws {
        try await database.withTransaction { sql in
            try await sql.update("masters").set("active", to: true).set("last_active", to: 0).run()
        }
    }

    /// Masters `ids` by id, read in the caller's transaction.
    static func masters(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: Master] {
        guard !ids.isEmpty else { return [:] }
        return Dictionary(
            uniqueKeysWithValues: try await Self.select(sql).where("id", .in, SQLBind.group(ids)).all()
                .map(Self.master).map { ($0.id, $0) })
    }

    /// The data-API resources of masters `ids`, read in the caller's transaction.
    static func resources(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: JSONValue] {
        try await masters(ids, in: sql).mapValues(\.resource)
    }

    private static func select(_ sql: any SQLDatabase) -> SQLSelectBuilder {
        sql.select().columns("id", "name", "active", "last_active").from("masters")
    }

    private static func master(_ row: any SQLRow) throws -> Master {
        Master(
            id: try row.decode(column: "id", as: Int.self),
            name: try row.decode(column: "name", as: String.self),
            active: try row.decode(column: "active", as: Bool.self),
            lastActive: Date(timeIntervalSince1970: TimeInterval(try row.decode(column: "last_active", as: Int.self)))
        )
    }

    private static func column(_ field: MasterField) -> any SQLExpression {
        switch field {
        case .masterid: SQLColumn("id")
        case .name: SQLColumn("name")
        case .active: SQLColumn("active")
        case .lastActive: SQLColumn("last_active")
        }
    }
}

extension Database {
    /// The masters connector of this database.
    public var masters: MastersConnector { MastersConnector(database: self) }
}
