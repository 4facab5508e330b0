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

/// Claims through the database's schedulers, change sources or pools connector.
public struct DatabaseServiceClaimer: ServiceClaimer {
    let database: Database
    let kind: ServiceKind

    public init(database: Database, kind: ServiceKind) {
        self.database = database
        self.kind = kind
    }

    public func serviceID(named name: String) async throws -> Int {
        switch kind {
        case .scheduler: try await database.schedulers.findSchedulerId(name)
        case .changeSource: try await database.changeSources.findChangeSourceId(name)
        case .pool: try await database.pools.findPoolId(name)
        }
    }

    public func claim(_ serviceid: Int, masterid: Int) async throws -> ClaimFence? {
        do {
            switch kind {
            case .scheduler: return try await database.schedulers.setSchedulerMaster(serviceid, masterid: masterid)
            case .changeSource:
                return try await database.changeSources.setChangeSourceMaster(serviceid, masterid: masterid)
            case .pool: return try await database.pools.setPoolMaster(serviceid, masterid: masterid)
            }
        } catch let error as GantryError where error.code == .alreadyClaimed {
            return nil
        }
    }

    public func isCurrent(_ fence: ClaimFence) async throws -> Bool {
        switch kind {
        case .scheduler: try await database.schedulers.isClaimCurrent(fence)
        case .changeSource: try await database.changeSources.isClaimCurrent(fence)
        case .pool: try await database.pools.isClaimCurrent(fence)
        }
    }

    public func unclaim(_ fence: ClaimFence) async throws {
        switch kind {
        case .scheduler: _ = try await database.schedulers.unclaimScheduler(fence)
        case .changeSource: _ = try await database.changeSources.unclaimChangeSource(fence)
        case .pool: _ = try await database.pools.unclaimPool(fence)
        }
    }
}
