import Foundation
public import GantryModel
import SQLKit

/// The `pool_instances` table: every instance a pool started, recorded before it starts and marked as its worker
/// connects and as it stops; the newest `kept` stopped ones per pool are kept for the API.
public struct PoolInstancesConnector: Sendable {
    let database: Database
    /// How many stopped instances of a pool are kept.
    public static let kept = 1000

    private var claims: ServiceClaims { ServiceClaims(kind: .pool, dialect: database.dialect) }

    /// The cluster's name, which every instance carries as a label.
    public func clusterName() async throws -> String {
        try await database.withTransaction { sql in
            try await sql.select().column("name").from("gantry_cluster").where("id", .equal, 1).first()?
                .decode(column: "name", as: String.self) ?? "gantry"
        }
    }

    /// Records worker `worker` of the pool as starting, under `fence` (the master's claim on the pool).
    /// - Returns: The instance's id.
    /// - Throws: `GantryError.fenced` when the claim is no longer current; a constraint error when the worker
    ///   has a live instance already.
    public func addInstance(
        pool: String, worker: String, provisioner: String, fence: ClaimFence
    ) async throws -> Int {
        let now = database.clock.now().epochMilliseconds
        return try await database.withTransaction { sql in
            try await claims.requireCurrent(fence, in: sql)
            let row = try await sql.insert(into: "pool_instances")
                .columns("pool", "worker", "provisioner", "masterid", "epoch", "state", "started_at")
                .values(
                    SQLBind(pool), SQLBind(worker), SQLBind(provisioner), SQLBind(fence.masterID),
                    SQLBind(fence.epoch), SQLBind(PoolInstance.State.starting.rawValue), SQLBind(now)
                )
                .returning("id")
                .first()
            let oldestKept = sql.select().column("id").from("pool_instances")
                .where("pool", .equal, pool).where(SQLColumn("stopped_at"), .isNot, SQLLiteral.null)
                .orderBy("id", .descending).limit(1).offset(Self.kept - 1)
            try await sql.delete(from: "pool_instances")
                .where("pool", .equal, pool).where(SQLColumn("stopped_at"), .isNot, SQLLiteral.null)
                .where(SQLColumn("id"), .lessThan, SQLGroupExpression(oldestKept.query))
                .run()
            return try row?.decode(column: "id", as: Int.self) ?? 0
        }
    }

    /// The provider's id of a started instance.
    public func setProviderID(_ id: Int, _ providerID: String) async throws {
        try await update(id, ["provider_id": SQLBind(providerID)])
    }

    /// Its worker connected.
    public func setConnected(_ id: Int) async throws {
        try await update(
            id,
            [
                "state": SQLBind(PoolInstance.State.running.rawValue),
                "connected_at": SQLBind(database.clock.now().epochMilliseconds),
            ])
    }

    /// It is gone, for `detail`; a second call changes nothing. Under `fence` when given: refused once that claim
    /// on the pool is no longer current.
    public func setStopped(_ id: Int, detail: String, fence: ClaimFence? = nil) async throws {
        try await database.withTransaction { sql in
            if let fence { try await claims.requireCurrent(fence, in: sql) }
            try await sql.update("pool_instances")
                .set("state", to: SQLBind(PoolInstance.State.stopped.rawValue))
                .set("stopped_at", to: SQLBind(database.clock.now().epochMilliseconds))
                .set("detail", to: SQLBind(detail))
                .where("id", .equal, id).where(SQLColumn("stopped_at"), .is, SQLLiteral.null)
                .run()
        }
    }

    /// The pool's instances not stopped, whichever master started them, oldest first.
    public func getLiveInstances(_ pool: String) async throws -> [PoolInstance] {
        try await database.withTransaction { sql in
            try await select(sql).where("pool", .equal, pool).where(SQLColumn("stopped_at"), .is, SQLLiteral.null)
                .orderBy("id").all().map(Self.instance)
        }
    }

    /// The pool's newest `limit` instances, newest first.
    public func getInstances(_ pool: String, limit: Int = 100) async throws -> [PoolInstance] {
        try await database.withTransaction { sql in
            try await select(sql).where("pool", .equal, pool).orderBy("id", .descending).limit(max(limit, 0)).all()
                .map(Self.instance)
        }
    }

    private func update(_ id: Int, _ values: [String: SQLBind]) async throws {
        try await database.withTransaction { sql in
            // A stopped instance stays stopped: a late start or connection does not bring its record back.
            let query = sql.update("pool_instances").where("id", .equal, id)
                .where(SQLColumn("stopped_at"), .is, SQLLiteral.null)
            for (column, value) in values.sorted(by: { $0.key < $1.key }) {
                query.set(SQLIdentifier(column), to: value)
            }
            try await query.run()
        }
    }

    private func select(_ sql: any SQLDatabase) -> SQLSelectBuilder {
        sql.select()
            .columns(
                "id", "pool", "worker", "provisioner", "provider_id", "masterid", "epoch", "state", "started_at",
                "connected_at", "stopped_at", "detail"
            )
            .from("pool_instances")
    }

    private static func instance(_ row: any SQLRow) throws -> PoolInstance {
        func date(_ column: String) throws -> Date? {
            try row.decode(column: column, as: Int?.self).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        }
        return PoolInstance(
            id: try row.decode(column: "id", as: Int.self), pool: try row.decode(column: "pool", as: String.self),
            worker: try row.decode(column: "worker", as: String.self),
            provisioner: try row.decode(column: "provisioner", as: String.self),
            providerID: try row.decode(column: "provider_id", as: String?.self),
            masterID: try row.decode(column: "masterid", as: Int.self),
            epoch: try row.decode(column: "epoch", as: Int.self),
            state: PoolInstance.State(rawValue: try row.decode(column: "state", as: String.self)) ?? .stopped,
            startedAt: try date("started_at") ?? Date(timeIntervalSince1970: 0), connectedAt: try date("connected_at"),
            stoppedAt: try date("stopped_at"), detail: try row.decode(column: "detail", as: String?.self))
    }
}

extension Database {
    /// The pool instances connector of this database.
    public var poolInstances: PoolInstancesConnector { PoolInstancesConnector(database: self) }
}
