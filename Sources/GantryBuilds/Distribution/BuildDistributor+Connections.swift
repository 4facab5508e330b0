import GantryModel
import GantryStorage
public import GantryWorkers

extension BuildDistributor: WorkerConnectionDelegate {
    /// Attaches a worker's new connection (for the worker port): the manager holds it, this distributor records it.
    public nonisolated func serve(_ link: WorkerLink) async {
        await workers.serve(link, delegate: self)
    }

    /// A worker's connection ended (for the worker port).
    public nonisolated func ended(_ link: WorkerLink) async {
        await workers.ended(link, delegate: self)
    }

    /// Records worker `name` as connected here (registering it when new) and enters it in the registry, where
    /// builds waiting for a worker may now find it.
    public func workerAttached(name: String, info: WorkerInfo, link: WorkerLink) async throws -> Int {
        let workerID = try await database.workers.findWorkerId(name)
        try await database.workers.workerConnected(workerID, masterid: masterID, workerInfo: info.json)
        // It takes builds once a read of the flags shows it connected here.
        controlsChanged()
        await perform(machine.workerAttached(name, id: workerID, link: link, info: info))
        return workerID
    }

    /// Takes the connection out of the registry at once, then records the worker disconnected from this master.
    public func workerDetached(name: String, workerID: Int, link: WorkerLink) async throws {
        await perform(machine.workerDetached(name, link: link))
        try await database.workers.workerDisconnected(workerID, masterid: masterID)
    }

    /// A pool is starting a new instance of worker `name`: its builds count against its `maxUses` afresh.
    public func instanceStarting(_ name: String) {
        machine.instanceStarting(name)
    }

    /// Every worker this master knows, as its registry stands now: what the pools and the API read.
    public func snapshot() -> [String: WorkerSnapshot] {
        machine.snapshot()
    }
}
