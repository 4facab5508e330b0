import GantryModel
import SQLKit

/// The two queries behind `getWorkers` / `getWorker`, and how their rows become ``Worker`` values.
struct WorkerFilter {
    var workerid: Int? = nil
    var name: String? = nil
    var masterid: Int? = nil
    var builderid: Int? = nil
    var paused: Bool? = nil
    var graceful: Bool? = nil

    /// Workers left-joined to their configured builder/master pairs, the filters applied to the joined rows,
    /// so a master or builder filter keeps only workers configured there.
    func configuredRows(_ sql: any SQLDatabase) async throws -> [any SQLRow] {
        let query = sql.select()
            .column(SQLColumn("id", table: "workers"))
            .column(SQLColumn("name", table: "workers"))
            .column(SQLColumn("info", table: "workers"))
            .column(SQLColumn("paused", table: "workers"))
            .column(SQLColumn("pause_reason", table: "workers"))
            .column(SQLColumn("graceful", table: "workers"))
            .column(SQLColumn("builderid", table: "builder_masters"))
            .column(SQLColumn("masterid", table: "builder_masters"))
            .from("workers")
            .join(
                "configured_workers",
                method: SQLJoinMethod.left,
                on: SQLColumn("workerid", table: "configured_workers"), .equal, SQLColumn("id", table: "workers")
            )
            .join(
                "builder_masters",
                method: SQLJoinMethod.left,
                on: SQLColumn("id", table: "builder_masters"), .equal,
                SQLColumn("buildermasterid", table: "configured_workers")
            )
        let conditions: [(SQLColumn, (any Encodable & Sendable)?)] = [
            (SQLColumn("id", table: "workers"), workerid),
            (SQLColumn("name", table: "workers"), name),
            (SQLColumn("masterid", table: "builder_masters"), masterid),
            (SQLColumn("builderid", table: "builder_masters"), builderid),
            (SQLColumn("paused", table: "workers"), paused),
            (SQLColumn("graceful", table: "workers"), graceful),
        ]
        for case (let column, let value?) in conditions {
            query.where(column, .equal, SQLBind(value))
        }
        return
            try await query
            .orderBy(SQLColumn("id", table: "workers"))
            .orderBy(SQLColumn("builderid", table: "builder_masters"))
            .orderBy(SQLColumn("masterid", table: "builder_masters"))
            .all()
    }

    /// Connection rows, limited by the master filter only (never by builder), ascending by master.
    func connectionRows(_ sql: any SQLDatabase) async throws -> [Int: [Int]] {
        let query = sql.select().columns("workerid", "masterid").from("connected_workers").orderBy("masterid")
        if let masterid { query.where("masterid", .equal, masterid) }
        if let workerid { query.where("workerid", .equal, workerid) }
        var connections: [Int: [Int]] = [:]
        for row in try await query.all() {
            connections[try row.decode(column: "workerid", as: Int.self), default: []]
                .append(try row.decode(column: "masterid", as: Int.self))
        }
        return connections
    }

    /// Groups the joined rows (ordered by worker) into workers.
    static func assemble(_ rows: [any SQLRow], connections: [Int: [Int]]) throws -> [Worker] {
        var workers: [Worker] = []
        for row in rows {
            let id = try row.decode(column: "id", as: Int.self)
            if workers.last?.id != id {
                let info = try JSONValue(json: try row.decode(column: "info", as: String.self))
                guard case .object(let object) = info else {
                    throw StorageInvariantError("worker \(id) has info that is not a JSON object")
                }
                workers.append(
                    Worker(
                        id: id,
                        name: try row.decode(column: "name", as: String.self),
                        workerInfo: object,
                        paused: try row.decode(column: "paused", as: Bool.self),
                        pauseReason: try row.decode(column: "pause_reason", as: String?.self),
                        graceful: try row.decode(column: "graceful", as: Bool.self),
                        connectedTo: connections[id] ?? []
                    )
                )
            }
            if let builderid = try row.decode(column: "builderid", as: Int?.self),
                let masterid = try row.decode(column: "masterid", as: Int?.self)
            {
                workers[workers.count - 1].configuredOn.append(BuilderMaster(builderID: builderid, masterID: masterid))
            }
        }
        return workers
    }
}
