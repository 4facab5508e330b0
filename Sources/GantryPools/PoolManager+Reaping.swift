import GantryModel
import GantryStorage

extension PoolManager {
    /// How often a managed pool is searched for instances nobody manages.
    static let reapInterval = Duration.seconds(60)
    /// How long one instance's removal may take before the reaper gives up on it until its next round.
    static let reapLimit = Duration.seconds(120)

    /// Removes the pool's instances that this master does not manage under `fence`, its current claim: those
    /// recorded live by an earlier holder (a master that died, or this master's earlier claim), and, where the
    /// provider can list, those carrying the cluster's and pool's labels that no live record knows (a start that
    /// outlived its master). Stops as soon as the claim is no longer `fence`.
    ///
    /// Adopting them instead would not work: their workers connect to the master that started them, and keep
    /// retrying it after it died.
    func reap(_ pool: String, under fence: ClaimFence) async {
        guard let settings = machine.settings[pool] else { return }
        let provisioner = self.provisioner(settings)
        let instances = database.poolInstances
        do {
            let cluster = try await cluster()
            for row in try await instances.getLiveInstances(pool) where !manages(row, pool, fence) {
                guard holds(pool, fence) else { return }
                let owner = row.masterID == masterID ? "an earlier claim of this master" : "master \(row.masterID)"
                let labels = [
                    InstanceLabel.cluster: cluster, InstanceLabel.pool: pool, InstanceLabel.worker: row.worker,
                ]
                await reap(
                    pool, provisioner, fence, id: row.providerID, labels: labels, row: row.id, "left by \(owner)")
            }
            let labels = [InstanceLabel.cluster: cluster, InstanceLabel.pool: pool]
            guard holds(pool, fence), let listed = try await provisioner.list(labels: labels) else { return }
            let recorded = Set(try await instances.getLiveInstances(pool).compactMap(\.providerID))
            for instance in listed where !recorded.contains(instance.id) && !isStarting(instance, pool, fence) {
                guard holds(pool, fence) else { return }
                await reap(
                    pool, provisioner, fence, id: instance.id, labels: instance.labels, row: nil,
                    "no live record of it")
            }
        } catch {
            logger.warning("pool not reaped this time", metadata: [LogKey.pool: "\(pool)", LogKey.error: "\(error)"])
        }
    }

    /// Reaps the pool in the background, unless a reap of it is still going: a slow provider holds up neither
    /// the pool's looks nor its ticks.
    func reapInBackground(_ pool: String, under fence: ClaimFence) {
        guard reaping[pool] == nil else { return }
        reaping[pool] = Task {
            await self.reap(pool, under: fence)
            self.reaped(pool)
        }
    }

    private func reaped(_ pool: String) {
        reaping[pool] = nil
    }

    /// Whether this master still manages the pool under `fence`, and the reap was not cancelled.
    private func holds(_ pool: String, _ fence: ClaimFence) -> Bool {
        !Task.isCancelled && fences[pool] == fence
    }

    /// Removes one instance, within ``reapLimit``, and records it: its record is marked stopped under the claim.
    /// When the removal fails, the record stays live, so the next round tries again (and its worker's name waits).
    private func reap(
        _ pool: String, _ provisioner: any WorkerProvisioner, _ fence: ClaimFence, id: String?,
        labels: [String: String], row: Int?, _ why: String
    ) async {
        let worker = labels[InstanceLabel.worker]
        let name = [worker, id.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        do {
            try await Self.within(Self.reapLimit) { try await provisioner.reap(instanceID: id, labels: labels) }
            if let row { await instanceStopped(row, "reaped: \(why)", fence: fence) }
            await record(pool, worker, .reaped, "\(name): \(why)")
        } catch {
            await record(pool, worker, .reaped, "\(name): \(why); not removed, tried again later: \(error)")
        }
    }

    /// Runs `body`, throwing once `limit` has passed on the system's clock.
    private static func within(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            let finished = try await group.next() ?? false
            group.cancelAll()
            if !finished { throw ProvisionerError(.transient, "no answer within \(limit)") }
        }
    }

    /// Whether this master manages the recorded instance: started under its current claim, its worker starting,
    /// running or being stopped here. Read after the records, so a start recorded meanwhile counts.
    private func manages(_ row: PoolInstance, _ pool: String, _ fence: ClaimFence) -> Bool {
        row.masterID == masterID && row.epoch == fence.epoch
            && (processes[pool]?[row.worker] != nil || stopTasks[pool]?[row.worker] != nil)
    }

    /// Whether a listed instance is one this master is starting or stopping under its current claim, whose id
    /// may not be recorded yet.
    private func isStarting(_ instance: ListedInstance, _ pool: String, _ fence: ClaimFence) -> Bool {
        guard instance.labels[InstanceLabel.master] == String(masterID),
            instance.labels[InstanceLabel.epoch] == String(fence.epoch),
            let worker = instance.labels[InstanceLabel.worker]
        else { return false }
        return processes[pool]?[worker] != nil || stopTasks[pool]?[worker] != nil
    }

    /// The cluster's name, read once.
    func cluster() async throws -> String {
        if let clusterName { return clusterName }
        let name = try await database.poolInstances.clusterName()
        clusterName = name
        return name
    }

    /// The labels of worker `worker`'s instance in `cluster`, started under `fence`.
    static func instanceLabels(_ cluster: String, _ pool: String, worker: String, fence: ClaimFence) -> [String: String]
    {
        [
            InstanceLabel.cluster: cluster, InstanceLabel.pool: pool, InstanceLabel.worker: worker,
            InstanceLabel.master: String(fence.masterID), InstanceLabel.epoch: String(fence.epoch),
        ]
    }

    func instanceConnected(_ row: Int) async {
        do {
            try await database.poolInstances.setConnected(row)
        } catch {
            logger.warning("a pool instance's connection not recorded", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Marks the instance stopped; under `fence` when given (the reaper's marks are writes on the pool's behalf).
    func instanceStopped(_ row: Int, _ detail: String, fence: ClaimFence? = nil) async {
        do {
            try await database.poolInstances.setStopped(row, detail: detail, fence: fence)
        } catch {
            logger.warning("a pool instance's stop not recorded", metadata: [LogKey.error: "\(error)"])
        }
    }
}
