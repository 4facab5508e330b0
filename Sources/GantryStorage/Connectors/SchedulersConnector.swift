public import GantryModel
import SQLKit

/// The `schedulers` table and `scheduler_masters`, the claims that make each scheduler run on one master.
public struct SchedulersConnector: Sendable {
    let database: Database
    private var claims: ServiceClaims { ServiceClaims(kind: .scheduler, dialect: database.dialect) }

    /// The id of the scheduler called `name` (case-sensitive), registering it enabled when new.
    public func findSchedulerId(_ name: String) async throws -> Int {
        try await database.findOrCreateID(
            in: "schedulers", key: [("name_hash", NameHash.of(name))], extra: [("name", name), ("enabled", true)])
    }

    /// Claims the scheduler for `masterid`: already mine is success; owned by another master, even an inactive
    /// one, is `GantryError.alreadyClaimed`.
    /// - Returns: The claim's fence, carried by every write made on the scheduler's behalf.
    @discardableResult
    public func setSchedulerMaster(_ schedulerid: Int, masterid: Int) async throws -> ClaimFence {
        try await database.claims(.scheduler).claim(schedulerid, masterid: masterid)
    }

    /// Releases the claim only if it is still exactly `fence` (Buildbot's `setSchedulerMaster(sid, None)`, made
    /// safe: it never deletes another master's claim). Returns whether a claim was released.
    @discardableResult
    public func unclaimScheduler(_ fence: ClaimFence) async throws -> Bool {
        try await database.claims(.scheduler).unclaim(fence)
    }

    /// The scheduler's current claim, or `nil` when no master holds it. A write fenced by it lands only while
    /// that master still holds the scheduler.
    public func getSchedulerClaim(_ schedulerid: Int) async throws -> ClaimFence? {
        try await database.withStatement { sql in
            try await claims.currentClaim(schedulerid, in: sql).map {
                ClaimFence(kind: .scheduler, serviceID: schedulerid, masterID: $0.owner, epoch: $0.epoch)
            }
        }
    }

    /// Enables or disables the scheduler.
    public func enable(_ schedulerid: Int, enabled: Bool) async throws {
        try await database.withTransaction { sql in
            try await sql.update("schedulers").set("enabled", to: enabled).where("id", .equal, schedulerid).run()
            try await EventsConnector.record(
                FeedChanges(.schedulers, [schedulerid], "updated"), in: sql, database: database)
        }
    }

    /// The scheduler with its claiming master, or `nil`.
    public func getScheduler(_ schedulerid: Int) async throws -> SchedulerInfo? {
        try await database.withStatement { sql in
            try await claims.services(id: schedulerid, extraColumns: ["enabled"], in: sql).first.map(Self.scheduler)
        }
    }

    /// Schedulers by id: `masterid` keeps those it claims; `active` true keeps claimed ones, false unclaimed ones
    /// (and `active: false` with a master matches nothing, as in Buildbot).
    public func getSchedulers(active: Bool? = nil, masterid: Int? = nil) async throws -> [SchedulerInfo] {
        try await database.withTransaction { sql in
            try await claims.services(active: active, masterid: masterid, extraColumns: ["enabled"], in: sql)
                .map(Self.scheduler)
        }
    }

    /// The data-API resources of schedulers `ids`, with their claiming masters, read in the caller's transaction.
    static func resources(_ ids: [Int], in sql: any SQLDatabase, dialect: Dialect) async throws -> [Int: JSONValue] {
        let claims = ServiceClaims(kind: .scheduler, dialect: dialect)
        let wanted = Set(ids)
        // One scheduler is read alone; several (a master's claims, released at once) with everyone's rows.
        let rows = try await claims.services(id: ids.count == 1 ? ids[0] : nil, extraColumns: ["enabled"], in: sql)
        let schedulers = try rows.map(Self.scheduler).filter { wanted.contains($0.id) }
        let masters = try await MastersConnector.masters(Set(schedulers.compactMap(\.masterID)).sorted(), in: sql)
        return Dictionary(
            uniqueKeysWithValues: schedulers.map { scheduler in
                (scheduler.id, scheduler.resource(master: scheduler.masterID.flatMap { masters[$0] }))
            })
    }

    private static func scheduler(_ row: any SQLRow) throws -> SchedulerInfo {
        SchedulerInfo(
            id: try row.decode(column: "id", as: Int.self),
            name: try row.decode(column: "name", as: String.self),
            enabled: try row.decode(column: "enabled", as: Bool.self),
            masterID: try row.decode(column: "masterid", as: Int?.self)
        )
    }
}

extension Database {
    /// The schedulers connector of this database.
    public var schedulers: SchedulersConnector { SchedulersConnector(database: self) }
}
