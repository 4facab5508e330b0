public import GantryModel
import SQLKit

/// The `changesources` table and `changesource_masters`, the claims that make each change source run on one master.
public struct ChangeSourcesConnector: Sendable {
    let database: Database
    private var claims: ServiceClaims { ServiceClaims(kind: .changeSource, dialect: database.dialect) }

    /// The id of the change source called `name` (case-sensitive), registering it when new.
    public func findChangeSourceId(_ name: String) async throws -> Int {
        try await database.claims(.changeSource).findServiceId(name)
    }

    /// Claims the change source for `masterid`. Unlike Buildbot 4.3, re-claiming by the owner succeeds, as it does
    /// for schedulers; a claim by another master is `GantryError.alreadyClaimed`.
    @discardableResult
    public func setChangeSourceMaster(_ changesourceid: Int, masterid: Int) async throws -> ClaimFence {
        try await database.claims(.changeSource).claim(changesourceid, masterid: masterid)
    }

    /// Releases the claim only if it is still exactly `fence`; returns whether it did.
    @discardableResult
    public func unclaimChangeSource(_ fence: ClaimFence) async throws -> Bool {
        try await database.claims(.changeSource).unclaim(fence)
    }

    /// The change source with its claiming master, or `nil`.
    public func getChangeSource(_ changesourceid: Int) async throws -> ChangeSourceInfo? {
        try await database.withTransaction { sql in
            try await claims.services(id: changesourceid, in: sql).first.map(Self.changeSource)
        }
    }

    /// Change sources by id, filtered as ``SchedulersConnector/getSchedulers(active:masterid:)``.
    public func getChangeSources(active: Bool? = nil, masterid: Int? = nil) async throws -> [ChangeSourceInfo] {
        try await database.withTransaction { sql in
            try await claims.services(active: active, masterid: masterid, in: sql).map(Self.changeSource)
        }
    }

    private static func changeSource(_ row: any SQLRow) throws -> ChangeSourceInfo {
        ChangeSourceInfo(
            id: try row.decode(column: "id", as: Int.self),
            name: try row.decode(column: "name", as: String.self),
            masterID: try row.decode(column: "masterid", as: Int?.self)
        )
    }
}

extension Database {
    /// The change sources connector of this database.
    public var changeSources: ChangeSourcesConnector { ChangeSourcesConnector(database: self) }
}
