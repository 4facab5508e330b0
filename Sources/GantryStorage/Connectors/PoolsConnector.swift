public import GantryModel
import SQLKit

/// The `pools` table and `pool_masters`, the claims that make each pool managed by one master of the cluster.
public struct PoolsConnector: Sendable {
    let database: Database
    private var claims: ServiceClaims { ServiceClaims(kind: .pool, dialect: database.dialect) }

    /// The id of the pool called `name` (case-sensitive), registering it when new.
    public func findPoolId(_ name: String) async throws -> Int {
        try await database.withTransaction { sql in
            try await sql.findOrCreateID(in: "pools", key: [("name_hash", NameHash.of(name))], extra: [("name", name)])
        }
    }

    /// Claims the pool for `masterid`; holding it already is success, a claim by another master is
    /// `GantryError.alreadyClaimed`.
    @discardableResult
    public func setPoolMaster(_ poolid: Int, masterid: Int) async throws -> ClaimFence {
        try await database.withTransaction { sql in try await claims.claim(poolid, masterid: masterid, in: sql) }
    }

    /// Releases the claim only if it is still exactly `fence`; returns whether it did.
    @discardableResult
    public func unclaimPool(_ fence: ClaimFence) async throws -> Bool {
        try await database.withTransaction { sql in try await claims.unclaim(fence, in: sql) }
    }

    /// Whether `fence` is still the pool's current claim.
    public func isClaimCurrent(_ fence: ClaimFence) async throws -> Bool {
        try await database.withTransaction { sql in try await claims.isCurrent(fence, in: sql) }
    }

    /// The master managing each claimed pool, by pool name.
    public func getPoolMasters() async throws -> [String: Int] {
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
    /// The pools connector of this database.
    public var pools: PoolsConnector { PoolsConnector(database: self) }
}
