import Crypto
import Foundation
public import GantryModel
import SQLKit

extension MastersConnector {
    /// Holds master `masterid`'s session lock until the task is cancelled, so its peers see it gone the moment
    /// its process dies (PostgreSQL ends a dead process's session at once); `held` is called each time it is
    /// taken. Returns at once on SQLite.
    ///
    /// A master takes it before it first checks in as active, so a peer never takes an active master without
    /// one for a dead one.
    public func holdSession(_ masterid: Int, held: @Sendable () -> Void) async {
        await database.holdSessionLock(sessionLockClass, Int32(truncatingIfNeeded: masterid), held: held)
    }

    /// Expires every active master other than `except` whose session lock no one holds: its process is gone
    /// (killed, crashed), whatever its last check-in says. A master merely slow or paused keeps its session,
    /// and is expired only after `expireAfter`. Each in its own transaction, which locks the master's row and
    /// looks at its session again, so a master restarting under the same name meanwhile is left alone.
    /// Nothing on SQLite.
    /// - Returns: The masters this call deactivated, to announce as stopped.
    public func expireMastersWithoutSession(except: Int) async throws -> [Master] {
        guard database.tracksSessions else { return [] }
        let candidates = try await database.withTransaction { sql in
            try await sql.select().columns("id", "name", "last_active").from("masters")
                .where("active", .equal, true).where("id", .notEqual, except)
                .where(SQLColumn("id"), .notIn, SQLGroupExpression(sessionHolders(sql).query))
                .all()
                .map { row in
                    Master(
                        id: try row.decode(column: "id", as: Int.self),
                        name: try row.decode(column: "name", as: String.self), active: false,
                        lastActive: Date(
                            timeIntervalSince1970: TimeInterval(try row.decode(column: "last_active", as: Int.self))))
                }
        }
        var expired: [Master] = []
        for master in candidates {
            let now = database.clock.epochSeconds()
            let gone = try await database.withTransaction { sql in
                let row = try await sql.select().column("id").from("masters").where("id", .equal, master.id)
                    .where("active", .equal, true).lockingClause(SQLLockingClause.update).first()
                let holder = try await sessionHolders(sql, only: master.id).first()
                guard row != nil, holder == nil else { return false }
                _ = try await sql.update("masters").set("active", to: false).where("id", .equal, master.id).run()
                try await MasterCleanup.run(for: master.id, now: now, in: sql)
                return true
            }
            if gone { expired.append(master) }
        }
        return expired
    }

    /// The ids of the masters whose session lock is held now (of `only` alone, when given).
    private func sessionHolders(_ sql: any SQLDatabase, only: Int? = nil) -> SQLSelectBuilder {
        let holders = sql.select().column(SQLRaw("objid::bigint")).from(SQLRaw("pg_locks"))
            .where(SQLColumn("locktype"), .equal, SQLLiteral.string("advisory"))
            .where(SQLColumn("classid"), .equal, SQLBind(sessionLockClass))
            .where(SQLColumn("objsubid"), .equal, SQLLiteral.numeric("2"))
            .where(SQLColumn("granted"), .equal, SQLLiteral.boolean(true))
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
