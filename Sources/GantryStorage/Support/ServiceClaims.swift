import GantryModel
import SQLKit

/// Claims on clustered services, shared by schedulers, change sources, pools and reporters: the claim table's
/// primary key on the service id makes "one owner" a database constraint, and the service row's `last_epoch`
/// numbers the claims.
struct ServiceClaims: Sendable {
    let kind: ServiceKind
    let dialect: Dialect

    var serviceTable: String { "\(kind.rawValue)s" }
    var claimTable: String { "\(kind.rawValue)_masters" }
    var idColumn: String { "\(kind.rawValue)id" }

    /// Claims the service for `masterid`. Already holding it is success (with the current epoch); a claim by any
    /// other master, even an inactive one, is `GantryError.alreadyClaimed`.
    /// - Returns: The claim's fence, and whether this call made the claim (rather than found it held already).
    func claim(
        _ serviceid: Int, masterid: Int, in sql: any SQLDatabase
    ) async throws -> (fence: ClaimFence, isNew: Bool) {
        if let (owner, epoch) = try await currentClaim(serviceid, in: sql) {
            guard owner == masterid else { throw alreadyClaimed(serviceid, owner: owner) }
            return (ClaimFence(kind: kind, serviceID: serviceid, masterID: masterid, epoch: epoch), false)
        }
        guard
            let epoch = try await sql.update(serviceTable)
                .set(SQLIdentifier("last_epoch"), to: SQLRaw("last_epoch + 1"))
                .where("id", .equal, serviceid)
                .returning("last_epoch")
                .first(decodingColumn: "last_epoch", as: Int.self)
        else { throw GantryError(.notFound, "no \(kind.rawValue) with id \(serviceid)") }
        try await sql.insert(into: claimTable)
            .columns(idColumn, "masterid", "epoch")
            .values(SQLBind(serviceid), SQLBind(masterid), SQLBind(epoch))
            .ignoringConflicts(with: [idColumn])
            .run()
        guard let (owner, stored) = try await currentClaim(serviceid, in: sql), owner == masterid, stored == epoch
        else {
            let owner = try await currentClaim(serviceid, in: sql)?.owner
            throw alreadyClaimed(serviceid, owner: owner)
        }
        return (ClaimFence(kind: kind, serviceID: serviceid, masterID: masterid, epoch: epoch), true)
    }

    /// Deletes the claim only if it is still exactly `fence`'s; returns whether it did.
    func unclaim(_ fence: ClaimFence, in sql: any SQLDatabase) async throws -> Bool {
        let deleted = try await sql.delete(from: claimTable)
            .where(SQLIdentifier(idColumn), .equal, SQLBind(fence.serviceID))
            .where("masterid", .equal, fence.masterID)
            .where("epoch", .equal, fence.epoch)
            .returning(SQLIdentifier(idColumn))
            .all()
        return !deleted.isEmpty
    }

    /// Whether `fence` is still the service's current claim.
    func isCurrent(_ fence: ClaimFence, in sql: any SQLDatabase) async throws -> Bool {
        let claim = try await currentClaim(fence.serviceID, in: sql)
        return claim?.owner == fence.masterID && claim?.epoch == fence.epoch
    }

    /// Throws `GantryError.fenced` unless `fence` is current, and on PostgreSQL keeps the claim row share-locked
    /// until the transaction ends, so an expiry cannot delete it between this check and the caller's write.
    func requireCurrent(_ fence: ClaimFence, in sql: any SQLDatabase) async throws {
        let query = sql.select().column("epoch").from(claimTable)
            .where(SQLIdentifier(idColumn), .equal, SQLBind(fence.serviceID))
            .where("masterid", .equal, fence.masterID)
            .where("epoch", .equal, fence.epoch)
        if let lock = dialect.shareLock { query.lockingClause(lock) }
        guard try await query.first() != nil else {
            throw GantryError(.fenced, "refused a write for \(fence): the claim is no longer current")
        }
    }

    /// The claiming master and epoch of a service, or `nil` when unclaimed.
    func currentClaim(_ serviceid: Int, in sql: any SQLDatabase) async throws -> (owner: Int, epoch: Int)? {
        guard
            let row = try await sql.select().columns("masterid", "epoch").from(claimTable)
                .where(SQLIdentifier(idColumn), .equal, SQLBind(serviceid))
                .first()
        else { return nil }
        return (try row.decode(column: "masterid", as: Int.self), try row.decode(column: "epoch", as: Int.self))
    }

    /// Rows of the service table left-joined to their claims, filtered as Buildbot's `getSchedulers`:
    /// `masterid` keeps services claimed by it; `active` true keeps claimed ones, false unclaimed ones;
    /// `active == false` with a master filter matches nothing.
    func services(
        id: Int? = nil,
        active: Bool? = nil,
        masterid: Int? = nil,
        extraColumns: [String] = [],
        in sql: any SQLDatabase
    ) async throws -> [any SQLRow] {
        if active == false && masterid != nil { return [] }
        let query = sql.select()
            .column(SQLColumn("id", table: serviceTable))
            .column(SQLColumn("name", table: serviceTable))
            .column(SQLColumn("masterid", table: claimTable))
            .from(serviceTable)
            .join(
                claimTable,
                method: SQLJoinMethod.left,
                on: SQLColumn(idColumn, table: claimTable), .equal, SQLColumn("id", table: serviceTable)
            )
            .orderBy(SQLColumn("id", table: serviceTable))
        for column in extraColumns { query.column(SQLColumn(column, table: serviceTable)) }
        if let id { query.where(SQLColumn("id", table: serviceTable), .equal, SQLBind(id)) }
        if let masterid { query.where(SQLColumn("masterid", table: claimTable), .equal, SQLBind(masterid)) }
        switch active {
        case true?: query.where(SQLColumn("masterid", table: claimTable), .isNot, SQLLiteral.null)
        case false?: query.where(SQLColumn("masterid", table: claimTable), .is, SQLLiteral.null)
        case nil: break
        }
        return try await query.all()
    }

    private func alreadyClaimed(_ serviceid: Int, owner: Int?) -> GantryError {
        let holder = owner.map { "master \($0)" } ?? "another master"
        return GantryError(.alreadyClaimed, "\(kind.rawValue) \(serviceid) is already claimed by \(holder)")
    }
}
