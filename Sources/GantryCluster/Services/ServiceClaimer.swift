public import GantryModel
public import GantryStorage

/// The claim operations a clustered service needs, for one kind of service.
public protocol ServiceClaimer: Sendable {
    /// The service's id, registering it when new.
    func serviceID(named name: String) async throws -> Int
    /// Claims the service; `nil` when another master holds it.
    func claim(_ serviceid: Int, masterid: Int) async throws -> ClaimFence?
    /// Whether `fence` is still the current claim.
    func isCurrent(_ fence: ClaimFence) async throws -> Bool
    /// Releases the claim if it is still exactly `fence`.
    func unclaim(_ fence: ClaimFence) async throws
}

/// Claims through the database's claims connector for the service's kind.
public struct DatabaseServiceClaimer: ServiceClaimer {
    let claims: ServiceClaimsConnector

    public init(database: Database, kind: ServiceKind) {
        claims = database.claims(kind)
    }

    public func serviceID(named name: String) async throws -> Int {
        try await claims.findServiceId(name)
    }

    public func claim(_ serviceid: Int, masterid: Int) async throws -> ClaimFence? {
        do {
            return try await claims.claim(serviceid, masterid: masterid)
        } catch let error as GantryError where error.code == .alreadyClaimed {
            return nil
        }
    }

    public func isCurrent(_ fence: ClaimFence) async throws -> Bool {
        try await claims.isClaimCurrent(fence)
    }

    public func unclaim(_ fence: ClaimFence) async throws {
        try await claims.unclaim(fence)
    }
}
