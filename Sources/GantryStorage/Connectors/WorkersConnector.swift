public import GantryModel
import SQLKit

/// The `workers` table and the rows saying where each worker is configured and connected.
public struct WorkersConnector: Sendable {
    let database: Database

    /// The id of the worker called `name`, registering it (info `{}`, not paused, not graceful) when new.
    /// - Throws: `GantryError.invalidName` when `name` is not an identifier; nothing is written then.
    public func findWorkerId(_ name: String) async throws -> Int {
        try Identifier.validate(name, as: "worker name")
        return try await database.findOrCreateID(
            in: "workers", key: [("name", name)], extra: [("info", "{}"), ("paused", false), ("graceful", false)])
    }

    /// Workers by id, with Buildbot's filter rules.
    ///
    /// Without `masterid` or `builderid` every worker comes back with all its links. With either, only workers
    /// configured there come back, `configuredOn` is limited by both filters and `connectedTo` by `masterid` only.
    public func getWorkers(
        masterid: Int? = nil,
        builderid: Int? = nil,
        paused: Bool? = nil,
        graceful: Bool? = nil
    ) async throws -> [Worker] {
        try await query(WorkerFilter(masterid: masterid, builderid: builderid, paused: paused, graceful: graceful))
    }

    /// The worker with id `workerid`, with its links limited as ``getWorkers(masterid:builderid:paused:graceful:)``
    /// limits them; `nil` when it does not exist or is not configured where the filters say.
    public func getWorker(_ workerid: Int, masterid: Int? = nil, builderid: Int? = nil) async throws -> Worker? {
        try await query(WorkerFilter(workerid: workerid, masterid: masterid, builderid: builderid)).first
    }

    /// The worker called `name`, as ``getWorker(_:masterid:builderid:)``.
    public func getWorker(named name: String, masterid: Int? = nil, builderid: Int? = nil) async throws -> Worker? {
        try await query(WorkerFilter(name: name, masterid: masterid, builderid: builderid)).first
    }

    /// Records that the worker is connected to the master (idempotent) and replaces its stored info with `workerInfo`.
    public func workerConnected(_ workerid: Int, masterid: Int, workerInfo: [String: JSONValue]) async throws {
        try await database.withTransaction { sql in
            try await sql.insert(into: "connected_workers")
                .columns("masterid", "workerid")
                .values(SQLBind(masterid), SQLBind(workerid))
                .ignoringConflicts(with: ["masterid", "workerid"])
                .run()
            // A (re)connected worker is no longer shutting down, as in Buildbot; paused stays as it was.
            try await sql.update("workers")
                .set("info", to: JSONValue.object(workerInfo).jsonText)
                .set("graceful", to: false).set("kill_requested", to: false)
                .where("id", .equal, workerid)
                .run()
            try await EventsConnector.record(
                FeedChanges(.workers, [workerid], "connected"), in: sql, database: database)
        }
    }

    /// Removes the link between the worker and this master only; a no-op when there is none.
    public func workerDisconnected(_ workerid: Int, masterid: Int) async throws {
        try await database.withTransaction { sql in
            let removed = try await sql.delete(from: "connected_workers")
                .where("workerid", .equal, workerid)
                .where("masterid", .equal, masterid)
                .returning("workerid").all(decodingColumn: "workerid", as: Int.self)
            try await EventsConnector.record(
                FeedChanges(.workers, removed, "disconnected"), in: sql, database: database)
        }
    }

    /// Afterwards the worker is configured on exactly `builderids` of this master. Builders not linked to the
    /// master are ignored; other masters and other workers are untouched.
    public func workerConfigured(_ workerid: Int, masterid: Int, builderids: [Int]) async throws {
        let builders = Set(builderids)
        try await database.withTransaction { sql in
            let links = try await sql.select().columns("id", "builderid").from("builder_masters")
                .where("masterid", .equal, masterid)
                .all()
            var wanted = Set<Int>()
            for link in links where builders.contains(try link.decode(column: "builderid", as: Int.self)) {
                wanted.insert(try link.decode(column: "id", as: Int.self))
            }
            let current = Set(
                try await sql.select().column(SQLColumn("buildermasterid", table: "configured_workers"))
                    .from("configured_workers")
                    .join(
                        "builder_masters", on: SQLColumn("id", table: "builder_masters"), .equal,
                        SQLColumn("buildermasterid", table: "configured_workers")
                    )
                    .where(SQLColumn("workerid", table: "configured_workers"), .equal, SQLBind(workerid))
                    .where(SQLColumn("masterid", table: "builder_masters"), .equal, SQLBind(masterid))
                    .all(decodingColumn: "buildermasterid", as: Int.self)
            )
            try await sql.replaceLinks(
                in: "configured_workers",
                owner: ("workerid", workerid),
                target: "buildermasterid",
                current: current,
                wanted: wanted
            )
        }
    }

    /// Removes every worker's configuration on every builder of this master, in one statement whatever their number.
    public func deconfigureAllWorkersForMaster(_ masterid: Int) async throws {
        try await database.withTransaction { sql in
            try await sql.delete(from: "configured_workers")
                .where(
                    SQLColumn("buildermasterid"),
                    .in,
                    SQLGroupExpression(
                        sql.select().column("id").from("builder_masters").where("masterid", .equal, masterid).query
                    )
                )
                .run()
        }
    }

    /// Sets both the paused flag and its reason (a missing reason clears the stored one).
    public func setWorkerPaused(_ workerid: Int, paused: Bool, pauseReason: String? = nil) async throws {
        try await database.withTransaction { sql in
            try await sql.update("workers")
                .set("paused", to: paused)
                .set("pause_reason", to: pauseReason)
                .where("id", .equal, workerid)
                .run()
            try await Self.recordStateUpdated(workerid, in: sql, database: database)
        }
        await database.notifier.post(.workersControl)
    }

    /// Sets whether the worker shuts down after its current build.
    public func setWorkerGraceful(_ workerid: Int, graceful: Bool) async throws {
        try await database.withTransaction { sql in
            try await sql.update("workers").set("graceful", to: graceful).where("id", .equal, workerid).run()
            try await Self.recordStateUpdated(workerid, in: sql, database: database)
        }
        await database.notifier.post(.workersControl)
    }

    /// Asks the master holding worker `workerid` to shut it down now (`kill`), or clears the request once done.
    public func setWorkerKillRequested(_ workerid: Int, _ requested: Bool) async throws {
        try await database.withTransaction { sql in
            try await sql.update("workers").set("kill_requested", to: requested).where("id", .equal, workerid)
                .run()
            try await Self.recordStateUpdated(workerid, in: sql, database: database)
        }
        if requested { await database.notifier.post(.workersControl) }
    }

    /// The control state of the workers connected to `masterid`, by name: what the distributor obeys.
    public func getWorkerControls(masterid: Int) async throws -> [String: WorkerControl] {
        try await database.withTransaction { sql in
            var controls: [String: WorkerControl] = [:]
            for row in try await sql.select().columns("name", "paused", "graceful", "kill_requested")
                .from("workers").join(
                    "connected_workers", on: SQLColumn("id", table: "workers"), .equal,
                    SQLColumn("workerid", table: "connected_workers")
                )
                .where(SQLColumn("masterid", table: "connected_workers"), .equal, SQLBind(masterid)).all()
            {
                controls[try row.decode(column: "name", as: String.self)] = WorkerControl(
                    paused: try row.decode(column: "paused", as: Bool.self),
                    graceful: try row.decode(column: "graceful", as: Bool.self),
                    killRequested: try row.decode(column: "kill_requested", as: Bool.self))
            }
            return controls
        }
    }

    /// Records `workers/<id>/state_updated`: a control (pause, graceful, kill) changed.
    private static func recordStateUpdated(_ workerid: Int, in sql: any SQLDatabase, database: Database)
        async throws
    {
        try await EventsConnector.record(
            FeedChanges(.workers, [workerid], "state_updated"), in: sql, database: database)
    }

    /// The data-API resources of workers `ids`, read in the caller's transaction: with all their links, as
    /// `/api/v2/workers/{id}` shows them.
    static func resources(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: JSONValue] {
        // One worker is read alone; several (a master's connections, released at once) with everyone's rows.
        let filter = ids.count == 1 ? WorkerFilter(workerid: ids[0]) : WorkerFilter()
        let wanted = Set(ids)
        let workers = try WorkerFilter.assemble(
            try await filter.configuredRows(sql), connections: try await filter.connectionRows(sql))
        return Dictionary(
            uniqueKeysWithValues: workers.filter { wanted.contains($0.id) }.map { ($0.id, $0.resource) })
    }

    private func query(_ filter: WorkerFilter) async throws -> [Worker] {
        try await database.withTransaction { sql in
            let configured = try await filter.configuredRows(sql)
            let connections = try await filter.connectionRows(sql)
            return try WorkerFilter.assemble(configured, connections: connections)
        }
    }
}

extension Database {
    /// The workers connector of this database.
    public var workers: WorkersConnector { WorkersConnector(database: self) }
}
