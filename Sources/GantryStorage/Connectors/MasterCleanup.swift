import SQLKit

/// Everything a master holds in the database, released when it stops or is expired. Each table that records
/// something a master owns adds its statement here, so no expiry can forget it.
enum MasterCleanup {
    /// The statements, in dependency order, each parameterized by the dead master's id and the time (epoch
    /// seconds), each returning the feed events of what it changed.
    static let steps: [@Sendable (any SQLDatabase, Int, Int) async throws -> FeedChanges] = [
        { sql, masterid, _ in
            let released = try await sql.delete(from: "scheduler_masters").where("masterid", .equal, masterid)
                .returning("schedulerid").all(decodingColumn: "schedulerid", as: Int.self)
            return FeedChanges(.schedulers, released.sorted(), "updated")
        },
        { sql, masterid, _ in
            try await sql.delete(from: "changesource_masters").where("masterid", .equal, masterid).run()
            return FeedChanges()
        },
        { sql, masterid, _ in
            try await sql.delete(from: "pool_masters").where("masterid", .equal, masterid).run()
            return FeedChanges()
        },
        { sql, masterid, _ in
            try await sql.delete(from: "reporter_masters").where("masterid", .equal, masterid).run()
            return FeedChanges()
        },
        { sql, masterid, _ in
            try await sql.delete(from: "janitor_masters").where("masterid", .equal, masterid).run()
            return FeedChanges()
        },
        // Deleting the builder links removes the workers configured on them too (cascade).
        { sql, masterid, _ in
            try await sql.delete(from: "builder_masters").where("masterid", .equal, masterid).run()
            return FeedChanges()
        },
        { sql, masterid, _ in
            let disconnected = try await sql.delete(from: "connected_workers").where("masterid", .equal, masterid)
                .returning("workerid").all(decodingColumn: "workerid", as: Int.self)
            return FeedChanges(.workers, disconnected.sorted(), "disconnected")
        },
        // A request whose build already ended (not RETRY) is complete, never released to be built again.
        { sql, masterid, now in try await BuildRequestsConnector.completeBuilt(by: masterid, now: now, in: sql) },
        // Its unfinished builds end RETRY; their requests are released just below and run again elsewhere.
        { sql, masterid, now in try await BuildsConnector.retryUnfinished(of: masterid, now: now, in: sql) },
        // Its locks, after its builds ended: taking a lock for a build holds the build's row, so the update above
        // waits for that transaction and this delete sees its slots.
        { sql, masterid, _ in
            try await sql.delete(from: "lock_claims").where("masterid", .equal, masterid).run()
            return FeedChanges()
        },
        // Claims on unfinished requests go back to the pool, collapsed into nothing any more; claims on finished
        // ones are their history.
        { sql, masterid, _ in
            let released = try await sql.delete(from: "buildrequest_claims")
                .where(Dialect.unindexed("masterid"), .equal, SQLBind(masterid))
                .where(
                    SQLColumn("brid"),
                    .in,
                    SQLGroupExpression(
                        sql.select().column("id").from("buildrequests").where("complete", .equal, false).query
                    )
                )
                .returning("brid").all(decodingColumn: "brid", as: Int.self)
            try await BuildRequestsConnector.forgetCollapse(of: released, in: sql)
            return FeedChanges(.buildrequests, released.sorted(), "unclaimed")
        },
    ]

    /// The masters that hold a claim or a link: a master that died while starting (before its first check-in
    /// marked it active) holds claims although it is inactive. One statement per table, whatever the number of
    /// masters the cluster ever had, since peers ask on every heartbeat.
    static func holders(in sql: any SQLDatabase) async throws -> Set<Int> {
        var holders: Set<Int> = []
        for table in [
            "scheduler_masters", "changesource_masters", "pool_masters", "reporter_masters", "janitor_masters",
            "builder_masters", "connected_workers", "lock_claims",
        ] {
            holders.formUnion(
                try await sql.select().distinct().column("masterid").from(table)
                    .all(decodingColumn: "masterid", as: Int.self))
        }
        holders.formUnion(
            try await sql.select().distinct().column("masterid").from("buildrequest_claims")
                .where(
                    SQLColumn("brid"),
                    .in,
                    SQLGroupExpression(
                        sql.select().column("id").from("buildrequests").where("complete", .equal, false).query)
                )
                .all(decodingColumn: "masterid", as: Int.self))
        return holders
    }

    /// Releases everything `masterid` holds.
    /// - Returns: The feed events of what it released, for the caller to record.
    static func run(for masterid: Int, now: Int, in sql: any SQLDatabase) async throws -> FeedChanges {
        var events = FeedChanges()
        for step in steps { events.add(try await step(sql, masterid, now)) }
        return events
    }
}
