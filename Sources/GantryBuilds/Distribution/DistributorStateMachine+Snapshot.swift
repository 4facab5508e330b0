import GantryStorage

extension DistributorStateMachine {
    /// Every worker this master knows (configured on one of its builders, connected here, or running a build of
    /// it), as it stands now.
    package func snapshot() -> [String: WorkerSnapshot] {
        var names = Set(workers.keys)
        for list in builders.values { names.formUnion(list) }
        var snapshots: [String: WorkerSnapshot] = [:]
        for name in names {
            let worker = workers[name] ?? Worker()
            snapshots[name] = WorkerSnapshot(
                name: name, id: worker.id, connected: attached(name) != nil, paused: worker.control?.paused ?? false,
                graceful: worker.control?.graceful ?? false, quarantined: worker.quarantined,
                busyRequestIDs: worker.busy, maxBuilds: maxBuilds[name, default: 1], usedUp: isUsedUp(name, worker))
        }
        return snapshots
    }
}
