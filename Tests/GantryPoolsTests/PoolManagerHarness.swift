import GantryCluster
import GantryModel
import GantryPools
import GantryStorage
import GantryTesting
import GantryWorkers

/// What the pool manager's tests share: a manager on an injected clock whose workers are read from a real worker
/// manager and the database, and pool `c` hosted by a clustered service as the master's lifecycle hosts it.
enum PoolManagerHarness {
    /// The manager's workers are `workers` when given.
    static func manager(
        _ db: Database, master: String, clock: ManualClock, workers: (any PoolWorkers)? = nil,
        provisioner: @escaping @Sendable (PoolSettings) -> any WorkerProvisioner
    ) async throws -> PoolManager {
        let masterID = try await db.masters.findMasterId(master)
        let manager = WorkerManager(clock: clock, keepalive: .seconds(600), logger: silentLogger)
        return PoolManager(
            database: db, masterID: masterID,
            workers: workers ?? DatabasePoolWorkers(manager: manager, database: db, masterID: masterID),
            master: "127.0.0.1:9989",
            provisioner: provisioner, clock: clock, tick: .seconds(1), logger: silentLogger)
    }

    /// Hosts pool `c` of `manager`: a clustered service that polls for the claim at once, then every second of
    /// `clock` until it wins it.
    static func host(_ manager: PoolManager, _ db: Database, master: String, clock: ManualClock) async throws
        -> ClusteredService
    {
        let masterID = try await db.masters.findMasterId(master)
        let service = ClusteredService(
            behavior: manager.service(for: "c"), claimer: DatabaseServiceClaimer(database: db, kind: .pool),
            masterID: masterID, claimPoll: .seconds(1), clock: clock, logger: silentLogger)
        Task { await service.run() }
        await service.waitUntilStarted()
        return service
    }

    /// Stops the hosted service as the lifecycle does: the pool's workers here are stopped, the claim released.
    static func stop(_ service: ClusteredService) async {
        service.stop()
        await service.waitUntilStopped()
    }

    /// The events pool `c` recorded while master `master` managed it.
    static func events(_ db: Database, of master: String) async throws -> [PoolEvent] {
        let id = try await db.masters.findMasterId(master)
        return try await db.poolEvents.getPoolEvents("c").filter { $0.masterID == id }
    }
}
