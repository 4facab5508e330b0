import GantryBuilds
import GantryPools
import GantryStorage
import GantryWorkers

/// The pools' view of their workers, read from the build distributor's worker registry (the one place this
/// master keeps worker state); a graceful shutdown is recorded in the database, where the distributor reads
/// worker controls from.
struct DistributedPoolWorkers: PoolWorkers {
    let distributor: BuildDistributor
    let manager: WorkerManager
    let database: Database

    func snapshot(of names: [String]) async -> [String: PoolWorkerView] {
        let workers = await distributor.snapshot()
        var views: [String: PoolWorkerView] = [:]
        for name in names {
            guard let worker = workers[name], worker.connected, let id = worker.id else { continue }
            views[name] = PoolWorkerView(id: id, busy: worker.isBusy, usedUp: worker.usedUp)
        }
        return views
    }

    func shutDown(_ name: String, reason: String) async {
        await manager.shutDown(name, reason: reason)
    }

    func makeGraceful(_ name: String) async throws {
        guard let id = await distributor.snapshot()[name]?.id else { return }
        try await database.workers.setWorkerGraceful(id, graceful: true)
    }

    func instanceStarting(_ name: String) async {
        await distributor.instanceStarting(name)
    }
}
