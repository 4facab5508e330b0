import GantryModel
import GantryPools
import GantryStorage
import GantryWorkers

/// The pools' view of the workers for the manager's tests, over a real worker manager and the database: attached
/// when the worker manager has the worker, busy when it runs an unfinished build of this master.
struct DatabasePoolWorkers: PoolWorkers {
    let manager: WorkerManager
    let database: Database
    let masterID: Int

    func snapshot(of names: [String]) async -> [String: PoolWorkerView] {
        var ids: [String: Int] = [:]
        for name in names {
            if let id = await manager.worker(named: name)?.id { ids[name] = id }
        }
        guard !ids.isEmpty else { return [:] }
        let builds = (try? await database.builds.getBuilds(masterid: masterID, complete: false)) ?? []
        let building = Set(builds.compactMap(\.workerID))
        return ids.mapValues { PoolWorkerView(id: $0, busy: building.contains($0)) }
    }

    func shutDown(_ name: String, reason: String) async {
        await manager.shutDown(name, reason: reason)
    }

    func makeGraceful(_ name: String) async throws {
        guard let id = await manager.worker(named: name)?.id else { return }
        try await database.workers.setWorkerGraceful(id, graceful: true)
    }

    /// Nothing to count here: these workers take no builds.
    func instanceStarting(_ name: String) async {}
}
