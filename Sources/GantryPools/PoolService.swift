import GantryCluster
import GantryModel

/// One pool as a clustered service, hosted by the master's lifecycle: the master holding the pool's claim manages
/// it; when that master dies or stops, another claims the pool and starts workers of its own.
struct PoolService: ClusteredServiceBehavior {
    let name: String
    let manager: PoolManager

    var kind: ServiceKind { .pool }

    var deactivatesSlowly: Bool { true }

    func runWhileActive(fence: ClaimFence) async {
        await manager.manageWhileActive(name, fence: fence)
    }

    /// The workers here are stopped before the claim is released.
    func deactivate() async throws {
        await manager.release(name)
    }
}
