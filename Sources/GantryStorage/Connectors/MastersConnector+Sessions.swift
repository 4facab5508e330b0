import Crypto
import Foundation
public import GantryModel
import SQLKit

extension MastersConnector {
    /// Holds master `masterid`'s session lock until the task is cancelled, so its peers see it gone soon after
    /// its process dies (PostgreSQL ends a dead process's session at once); `changed` is told each time it is
    /// taken (`true`) or lost (`false`). Returns at once on SQLite.
    ///
    /// A master takes it before it first checks in as active, so a peer never takes an active master without
    /// one for a dead one.
    public func holdSession(_ masterid: Int, changed: @Sendable (Bool) -> Void) async {
        await database.holdSessionLock(sessionLockClass, Int32(truncatingIfNeeded: masterid), changed: changed)
    }

    /// The masters other than `except` that are active or hold anything (claims, links), and whose session lock
    /// no session holds now: their process is gone, or their lock connection is being taken again. A master takes
    /// its lock before it holds anything, so one that holds something without it died, even before it first
    /// checked in as active. None on SQLite.
    public func mastersWithoutSession(except: Int) async throws -> Set<Int> {
        guard database.tracksSessions else { return [] }
        return try await database.withTransaction { sql in
            let holders = try await MasterCleanup.holders(in: sql)
            let rows = try await sql.select().columns("id", "active").from("masters")
                .where("id", .notEqual, except)
                .where(SQLColumn("id"), .notIn, SQLGroupExpression(sessionHolders(sql).query))
                .all()
            var lockless: Set<Int> = []
            for row in rows {
                let id = try row.decode(column: "id", as: Int.self)
                if try row.decode(column: "active", as: Bool.self) || holders.contains(id) { lockless.insert(id) }
            }
            return lockless
        }
    }

    /// Expires master `id` if its session lock is still free: marks it inactive and releases everything it
    /// holds, in one transaction that locks its row and looks at the lock again, so a master restarting under
    /// the same name meanwhile (it takes its lock before anything else) is left alone. A master merely slow or
    /// paused keeps its session.
    /// - Returns: The master, when this call changed anything (it was active, or held something), to announce
    ///   as stopped.
    public func expireMasterWithoutSession(_ id: Int) async throws -> Master? {
        guard database.tracksSessions else { return nil }
        let now = database.clock.epochSeconds()
        let expired: Master? = try await database.withTransaction { sql in
            guard
                let row = try await sql.select().columns("id", "name", "active", "last_active").from("masters")
                    .where("id", .equal, id).lockingClause(SQLLockingClause.update)
                    .first(),
                try await sessionHolders(sql, only: id).first() == nil
            else { return nil }
            let wasActive = try row.decode(column: "active", as: Bool.self)
            let held = try await MasterCleanup.holders(in: sql).contains(id)
            guard wasActive || held else { return nil }
            try await sql.update("masters").set("active", to: false).where("id", .equal, id).run()
            var events = wasActive ? FeedChanges(.masters, [id], "stopped") : FeedChanges()
            events.add(try await MasterCleanup.run(for: id, now: now, in: sql))
            try await EventsConnector.record(events, in: sql, database: database)
            return Master(
                id: id, name: try row.decode(column: "name", as: String.self), active: false,
                lastActive: Date(
                    timeIntervalSince1970: TimeInterval(try row.decode(column: "last_active", as: Int.self))))
        }
        // Its requests are free: every master's distributor may take them now, not at its next poll.
        if expired != nil { await database.notifier.post(.buildrequestsNew) }
        return expired
    }

    /// The ids of the masters whose session lock is held now (of `only` alone, when given).
    private func sessionHolders(_ sql: any SQLDatabase, only: Int? = nil) -> SQLSelectBuilder {
        let holders = sql.select().column(SQLRaw("objid::bigint")).from(SQLRaw("pg_locks"))
            .where(SQLColumn("locktype"), .equal, SQLLiteral.string("advisory"))
            .where(SQLColumn("classid"), .equal, SQLBind(sessionLockClass))
            .where(SQLColumn("objsubid"), .equal, SQLLiteral.numeric("2"))
            .where(SQLColumn("granted"), .equal, SQLLiteral.boolean(true))
            // pg_locks shows every database of the server: only this one's masters count.
            .where(
                SQLColumn("database"), .equal,
                SQLGroupExpression(
                    sql.select().column("oid").from(SQLRaw("pg_database"))
                        .where(SQLColumn("datname"), .equal, SQLFunction("current_database")).query))
        if let only { holders.where(SQLRaw("objid::bigint"), .equal, SQLBind(only)) }
        return holders
    }

    /// The first key of the masters' session locks: one per schema, so clusters in different schemas of one
    /// server never take each other's masters for dead.
    private var sessionLockClass: Int32 {
        var schema = "public"
        if case .postgres(let location) = database.url, let named = location.schema { schema = named }
        let digest = Array(SHA256.hash(data: Array("gantry.masters.\(schema)".utf8)))
        return Int32(bitPattern: digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }) & 0x7fff_ffff
    }
}
