public import GantryModel
import SQLKit

/// The claims of one kind of clustered service (schedulers, change sources, pools, reporters): which master runs
/// each. The schedulers and change-sources connectors offer these under Buildbot's names; pools and reporters, whose
/// claims Buildbot does not have, use them directly.
public struct ServiceClaimsConnector: Sendable {
    let database: Database
    let kind: ServiceKind
    private var claims: ServiceClaims { ServiceClaims(kind: kind, dialect: database.dialect) }

    /// The id of the service called `name` (case-sensitive), registering it when new.
    public func findServiceId(_ name: String) async throws -> Int {
        try await database.findOrCreateID(
            in: claims.serviceTable, key: [("name_hash", NameHash.of(name))], extra: [("name", name)])
    }

    /// Claims the service for `masterid`: already holding it is success (with the current epoch); a claim by any
    /// other master, even an inactive one, is `GantryError.alreadyClaimed`.
    /// - Returns: The claim's fence, carried by every write made on the service's behalf.
    @discardableResult
    public func claim(_ serviceid: Int, masterid: Int) async throws -> ClaimFence {
        try await database.withTransaction { sql in
            let claim = try await claims.claim(serviceid, masterid: masterid, in: sql)
            if claim.isNew { try await recordUpdated(serviceid, in: sql) }
            return claim.fence
        }
    }

    /// Releases the claim only if it is still exactly `fence`, never another master's; returns whether it did.
    @discardableResult
    public func unclaim(_ fence: ClaimFence) async throws -> Bool {
        try await database.withTransaction { sql in
            let released = try await claims.unclaim(fence, in: sql)
            if released { try await recordUpdated(fence.serviceID, in: sql) }
            return released
        }
    }

    /// Records that the service's claim changed, for the kinds the data API shows with their master (schedulers).
    private func recordUpdated(_ serviceid: Int, in sql: any SQLDatabase) async throws {
        guard kind == .scheduler else { return }
        try await EventsConnector.record(FeedChanges(.schedulers, [serviceid], "updated"), in: sql, database: database)
    }

    /// Whether `fence` is still the service's current claim.
    public func isClaimCurrent(_ fence: ClaimFence) async throws -> Bool {
        try await database.withTransaction { sql in try await claims.isCurrent(fence, in: sql) }
    }

    /// The master holding each claimed service, by service name.
    public func getClaimingMasters() async throws -> [String: Int] {
        try await database.withTransaction { sql in
            var masters: [String: Int] = [:]
            for row in try await claims.services(active: true, in: sql) {
                masters[try row.decode(column: "name", as: String.self)] = try row.decode(
                    column: "masterid", as: Int.self)
            }
            return masters
        }
    }
}

extension Database {
    /// The claims connector for services of `kind`.
    public func claims(_ kind: ServiceKind) -> ServiceClaimsConnector {
        ServiceClaimsConnector(database: self, kind: kind)
    }
}
