import Foundation
import GantryModel
import GantryStorage
import Metrics

extension PoolManager {
    /// Manages the pool while this master holds its claim `fence` (cancelled when the claim ends): first reaps
    /// what an earlier holder left (``reap(_:under:)``), then looks at it at once, at every tick (time passes: start
    /// and idle timeouts, start spacing), whenever requests are added (new demand: workers start without waiting
    /// for the tick), and reaps again every ``reapInterval``.
    func manageWhileActive(_ name: String, fence: ClaimFence) async {
        fences[name] = fence
        defer { fences[name] = nil }
        await reap(name, under: fence)
        let demand = database.notifier.wakeups(for: [.buildrequestsNew], poll: .seconds(3600), clock: clock)
        // Wake-ups coalesce, and so do ticks: a look that took longer than a tick counts one tick, never a burst
        // of them at once (which would retire a worker that is idle for a moment between two builds).
        let wake = WakeUpSignal()
        wakers[name] = wake
        defer { wakers[name] = nil }
        _ = Self.startFailures(of: name)  // shown from 0, not from the first failure
        await perform(machine.claimed(name))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [clock, tick] in
                let reapEvery = max(Int((Self.reapInterval / tick).rounded(.up)), 1)
                var ticks = 0
                while (try? await clock.sleep(for: tick)) != nil {
                    await self.ticked(name)
                    ticks += 1
                    if ticks.isMultiple(of: reapEvery) { await self.reapInBackground(name, under: fence) }
                }
            }
            group.addTask {
                for await _ in demand { await self.demanded(name) }
            }
            while await wake.wait() {
                guard await look(at: name) else { break }
            }
            group.cancelAll()
        }
    }

    private func ticked(_ pool: String) async {
        await perform(machine.tick(pool))
    }

    private func demanded(_ pool: String) async {
        await perform(machine.demand(pool))
    }

    /// One look: gathers what the machine needs, then lets it decide.
    /// - Returns: Whether the pool is to be looked at again (not once a worker of an `exitOnWorker` pool died).
    private func look(at pool: String) async -> Bool {
        guard let settings = machine.lookable(pool) else { return true }
        let observation: PoolStateMachine.Observation
        do {
            observation = try await observe(pool, settings)
        } catch {
            logger.warning(
                "pool not managed this time", metadata: [LogKey.pool: "\(pool)", LogKey.error: "\(error)"])
            return true
        }
        let actions = machine.looked(pool, observation)
        await perform(actions)
        return !actions.contains { action in
            if case .exitOnWorker = action { true } else { false }
        }
    }

    /// Which of the pool's members ended, failed to start, are attached or busy, and how many requests wait.
    private func observe(_ pool: String, _ settings: PoolSettings) async throws -> PoolStateMachine.Observation {
        let names = machine.members(of: pool).map(\.name)
        var observation = PoolStateMachine.Observation()
        let members = names.compactMap { name in processes[pool]?[name].map { (name, $0) } }
        observation.exited = await Self.exited(members)
        for (name, process) in members {
            guard let failure = process.failure else { continue }
            let shown = shown(failure, of: name)
            switch (failure as? any ProvisionerFailure)?.kind ?? .transient {
            case .transient: observation.failedStarts[name] = shown
            case .quota: observation.deferredStarts[name] = shown
            case .permanent: observation.impossibleStarts[name] = shown
            }
        }
        let seen = await workers.snapshot(of: names)
        observation.attached = Set(seen.keys)
        observation.busy = Set(seen.filter { $0.value.busy }.keys)
        observation.usedUp = Set(seen.filter { $0.value.usedUp }.keys)
        observation.pending = try await pendingRequests(settings)
        return observation
    }

    /// The names of `members` whose instances ended, asked of all at once, at most 16 at a time: each may ask a
    /// remote engine, and a pool of hundreds is looked at every second.
    private static func exited(_ members: [(String, StartingWorker)]) async -> Set<String> {
        await withTaskGroup(of: String?.self) { group in
            var exited: Set<String> = []
            var waiting = members[...]
            func ask(_ member: (String, StartingWorker)) {
                group.addTask { await member.1.hasExited ? member.0 : nil }
            }
            for _ in 0..<16 { if let member = waiting.popFirst() { ask(member) } }
            for await name in group {
                if let name { exited.insert(name) }
                if let member = waiting.popFirst() { ask(member) }
            }
            return exited
        }
    }

    /// What the pool's event log says of a failed start: a provisioner's own text, else a generic one (the
    /// master's log has the error in full).
    private func shown(_ failure: any Error, of worker: String) -> String {
        logger.warning(
            "a pool worker did not start",
            metadata: [LogKey.worker: "\(worker)", LogKey.error: "\(String(reflecting: failure))"])
        if let failure = failure as? any ProvisionerFailure { return failure.description }
        return "the provisioner failed; the master's log has the details"
    }

    /// Carries out the machine's actions, in order. A worker stopped or forgotten has its instance marked
    /// stopped with the detail of the event the machine records for it in the same batch.
    func perform(_ actions: [PoolStateMachine.Action]) async {
        for (index, action) in actions.enumerated() {
            switch action {
            case .start(let pool, let worker):
                begin(pool, worker)
            case .stop(let pool, let worker):
                stopInBackground(pool, worker, reason: Self.reason(for: worker, after: index, in: actions))
            case .forget(let pool, let worker):
                if let process = processes[pool]?.removeValue(forKey: worker) {
                    if let row = process.row {
                        await instanceStopped(row, Self.reason(for: worker, after: index, in: actions))
                    }
                    cleanUp(process)
                }
            case .shutDown(let worker, let reason):
                await workers.shutDown(worker, reason: reason)
            case .makeGraceful(let worker):
                do {
                    try await workers.makeGraceful(worker)
                } catch {
                    logger.warning(
                        "pool worker not made graceful",
                        metadata: [LogKey.worker: "\(worker)", LogKey.error: "\(error)"])
                }
            case .record(let pool, let worker, let kind, let detail):
                await record(pool, worker, kind, detail)
                if kind == .connected, let worker, let row = processes[pool]?[worker]?.row {
                    await instanceConnected(row)
                }
            case .countStartFailure(let pool):
                Self.startFailures(of: pool).increment()
            case .exitOnWorker(let pool, let worker):
                workerDied(WorkerDied(pool: pool, worker: worker))
            case .report(let pool, let gauges):
                report(pool, gauges)
            case .look(let pool):
                wakers[pool]?.signal()
            }
        }
    }

    /// Starts the worker in the background: a slow start holds up neither the pool's other starts nor its looks.
    private func begin(_ pool: String, _ worker: String) {
        // Actions run with awaits between them: a release or terminate meanwhile took the worker off the pool.
        guard machine.lookable(pool) != nil,
            machine.members(of: pool).contains(where: { $0.name == worker && $0.state == .starting }),
            processes[pool]?[worker] == nil
        else { return }
        guard let settings = machine.settings[pool], let password = passwords[worker], let fence = fences[pool] else {
            // It never starts, so it fails after its start timeout.
            logger.error("pool worker has no settings, password or claim", metadata: [LogKey.worker: "\(worker)"])
            return
        }
        let provisioner = self.provisioner(settings)
        let instances = database.poolInstances
        let workers = self.workers
        processes[pool, default: [:]][worker] = StartingWorker.begin {
            do {
                return try await instances.addInstance(
                    pool: pool, worker: worker, provisioner: provisioner.kind, fence: fence)
            } catch {
                // A live record of the name left by a reap that failed: the start waits for the next reap.
                guard (try? await instances.getLiveInstances(pool))?.contains(where: { $0.worker == worker }) == true
                else { throw error }
                throw ProvisionerError(
                    .transient, "\(worker) still has a live instance recorded, which is to be reaped first")
            }
        } start: { [master, logger] row in
            await workers.instanceStarting(worker)
            let labels = Self.instanceLabels(try await self.cluster(), pool, worker: worker, fence: fence)
            let request = InstanceRequest(name: worker, password: password, master: master, labels: labels)
            let started = try await provisioner.start(request)
            if let id = started.instanceID {
                do {
                    try await instances.setProviderID(row, id)
                } catch {
                    logger.warning(
                        "a pool instance's id not recorded",
                        metadata: [LogKey.worker: "\(worker)", LogKey.error: "\(error)"])
                }
            }
            return started
        }
    }

    /// Removes what is left of a worker gone by itself (an exited container), in the background; its name is free
    /// at once, as nothing of it still runs.
    private func cleanUp(_ process: StartingWorker) {
        let id = UUID()
        cleanups[id] = Task {
            await process.stop()
            self.cleanedUp(id)
        }
    }

    private func cleanedUp(_ id: UUID) {
        cleanups[id] = nil
    }

    /// Stops the worker without holding up the look; its name is not started again until it is gone, and its
    /// instance is marked stopped for `reason` once it is.
    private func stopInBackground(_ pool: String, _ worker: String, reason: String) {
        let process = processes[pool]?.removeValue(forKey: worker)
        stopTasks[pool, default: [:]][worker] = Task {
            await process?.stop()
            // Read once the start has ended: a start stopped midway may have recorded its row meanwhile.
            if let row = process?.row { await self.instanceStopped(row, reason) }
            await self.stopped(pool, worker)
        }
    }

    private func stopped(_ pool: String, _ worker: String) async {
        stopTasks[pool]?[worker] = nil
        await perform(machine.stopped(pool, worker: worker))
    }

    /// Why the machine stops or forgets `worker` at `index`: the detail of the event it records for the worker
    /// after that.
    static func reason(for worker: String, after index: Int, in actions: [PoolStateMachine.Action]) -> String {
        for action in actions[(index + 1)...] {
            if case .record(_, worker?, let kind, let detail) = action, kind != .startRequested {
                return [kind.rawValue, detail].compactMap { $0 }.joined(separator: ": ")
            }
        }
        return "stopped"
    }

    /// Waits for the workers being stopped: the pool's, or every pool's.
    func waitForStops(of pool: String?) async {
        let tasks = pool.map { Array((stopTasks[$0] ?? [:]).values) } ?? stopTasks.values.flatMap(\.values)
        for task in tasks + cleanups.values { await task.value }
    }

    /// Requests of the pool's builders waiting for a worker.
    func pendingRequests(_ pool: PoolSettings) async throws -> Int {
        if builderIDs[pool.builders] == nil {
            var ids: [Int] = []
            for name in pool.builders { ids.append(try await database.builders.findBuilderId(name)) }
            builderIDs[pool.builders] = ids
        }
        return try await database.buildRequests.getBuildRequests(
            builderids: builderIDs[pool.builders] ?? [], complete: false, claimed: .unclaimed
        ).count
    }

    static func startFailures(of pool: String) -> Counter {
        Counter(label: "gantry_pool_start_failures_total", dimensions: [("pool", pool)])
    }

    /// The pool's gauges: workers by state, requests waiting, and whether it is blocked.
    private func report(_ pool: String, _ gauges: PoolStateMachine.Gauges) {
        for state in WorkerState.allCases {
            Gauge(label: "gantry_pool_workers", dimensions: [("pool", pool), ("state", state.rawValue)])
                .record(gauges.count(state))
        }
        Gauge(label: "gantry_pool_queued_requests", dimensions: [("pool", pool)]).record(gauges.queued)
        Gauge(label: "gantry_pool_blocked", dimensions: [("pool", pool)]).record(gauges.blocked ? 1 : 0)
    }
}
