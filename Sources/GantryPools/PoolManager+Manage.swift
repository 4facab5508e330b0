import GantryConfig
import GantryStorage
import Metrics

extension PoolManager {
    /// One look at a pool this master manages, as Copr's backend does with `spin_up_workers_by_group` and
    /// `prune_dead_workers_by_group`; time counts only when `ticked` (a look for new demand between ticks counts
    /// no time):
    ///
    /// - a started worker that connected is running; one that has not after `startTimeout` is stopped and
    ///   counted as a failure; one whose process died or whose connection was lost is pruned (its build, if any,
    ///   ends RETRY as its connection is lost);
    /// - workers are started while the pool's pending requests outnumber its idle and starting workers (and to
    ///   keep `minIdle` idle ones), up to `maxWorkers`, at most one per `minStartInterval`;
    /// - an idle worker beyond `minIdle` is retired after `idleTimeout`, and so is any worker above a lowered
    ///   `maxWorkers` once it is idle.
    func manage(_ pool: PoolConfig, ticked: Bool) async throws {
        let elapsed = ticked ? 1 : 0
        var named = members[pool.name] ?? [:]
        let busy = try await busyMembers()
        let ticksOf = { (duration: Duration) in Int((duration / self.tick).rounded(.up)) }
        for (name, var member) in named {
            if await member.process.hasExited {
                named[name] = nil
                members[pool.name] = named
                await record(pool.name, name, .pruned, "its process ended")
                if pool.exitOnWorker { throw WorkerDied(pool: pool.name, worker: name) }
                continue
            }
            let attached = await workers.worker(named: name) != nil
            switch member.state {
            case .starting where attached:
                member.state = busy.contains(name) ? .busy : .idle
                await record(pool.name, name, .connected)
            case .starting:
                if let failure = member.process.failure {
                    named[name] = nil
                    await failed(pool.name, name, "\(failure)")
                    continue
                }
                member.startedTicks += elapsed
                if member.startedTicks >= ticksOf(pool.startTimeout) {
                    stopInBackground(pool.name, member)
                    named[name] = nil
                    await failed(pool.name, name, "not connected after \(pool.startTimeout)")
                    continue
                }
            case .idle, .busy:
                guard attached else {
                    stopInBackground(pool.name, member)
                    named[name] = nil
                    await record(pool.name, name, .pruned, "it stopped answering")
                    continue
                }
                member.state = busy.contains(name) ? .busy : .idle
                member.idleTicks = member.state == .idle ? member.idleTicks + elapsed : 0
            }
            named[name] = member
        }
        // Retire: idle beyond minIdle for idleTimeout, or above a lowered maxWorkers.
        let allowed = Set(pool.workerNames)
        var idle = named.values.filter { $0.state == .idle }.sorted { $0.name > $1.name }
        for member in idle
        where !allowed.contains(member.name)
            || (idle.count > pool.minIdle && member.idleTicks >= ticksOf(pool.idleTimeout))
        {
            await workers.shutDown(member.name, reason: "retired by pool \(pool.name)")
            stopInBackground(pool.name, member)
            named[member.name] = nil
            idle.removeAll { $0.name == member.name }
            await record(
                pool.name, member.name, .retired,
                allowed.contains(member.name) ? "idle for \(pool.idleTimeout)" : "above maxWorkers")
        }
        // Spin up: demand beyond idle and starting workers, and minIdle, up to maxWorkers, spaced out.
        let pending = try await pendingRequests(pool)
        let starting = named.values.filter { $0.state == .starting }.count
        var wanted = max(pending - idle.count - starting, pool.minIdle - idle.count - starting, 0)
        var cooldown = max(startCooldown[pool.name, default: 0] - elapsed, 0)
        let provisioner = provisioner(pool)
        for name in pool.workerNames
        where wanted > 0 && named[name] == nil && stopping[pool.name]?[name] == nil && cooldown == 0 {
            guard let password = passwords[name] else { continue }
            let process = StartingWorker.begin { [master] in
                try await provisioner.start(name: name, password: password, master: master)
            }
            named[name] = Member(name: name, state: .starting, process: process)
            await record(pool.name, name, .startRequested)
            wanted -= 1
            cooldown = ticksOf(pool.minStartInterval)
        }
        startCooldown[pool.name] = cooldown
        members[pool.name] = named
        report(pool.name, named.values, queued: pending)
    }

    /// Stops `member` without holding up the look; its name is not started again until it is gone.
    func stopInBackground(_ pool: String, _ member: Member) {
        stopping[pool, default: [:]][member.name] = Task {
            await member.process.stop()
            self.stopped(pool, member.name)
        }
    }

    /// The name is free again: the pool looks at once, in case a request waits for it.
    private func stopped(_ pool: String, _ name: String) {
        stopping[pool]?[name] = nil
        wakers[pool]?.yield()
    }

    /// Requests of the pool's builders waiting for a worker.
    func pendingRequests(_ pool: PoolConfig) async throws -> Int {
        if builderIDs[pool.builders] == nil {
            var ids: [Int] = []
            for name in pool.builders { ids.append(try await database.builders.findBuilderId(name)) }
            builderIDs[pool.builders] = ids
        }
        return try await database.buildRequests.getBuildRequests(
            builderids: builderIDs[pool.builders] ?? [], complete: false, claimed: .unclaimed
        ).count
    }

    /// Names of the pool workers running a build of this master.
    func busyMembers() async throws -> Set<String> {
        let names = members.values.flatMap(\.keys)
        guard !names.isEmpty else { return [] }
        let ids = Set(try await database.builds.getBuilds(masterid: masterID, complete: false).compactMap(\.workerID))
        var busy: Set<String> = []
        for name in names {
            if let id = await workers.worker(named: name)?.id, ids.contains(id) { busy.insert(name) }
        }
        return busy
    }

    private func failed(_ pool: String, _ worker: String, _ detail: String) async {
        failures[pool, default: 0] += 1
        Self.startFailures(of: pool).increment()
        await record(pool, worker, .startFailed, detail)
    }

    static func startFailures(of pool: String) -> Counter {
        Counter(label: "gantry_pool_start_failures_total", dimensions: [("pool", pool)])
    }

    /// The pool's gauges: workers by state, and requests waiting.
    private func report(_ pool: String, _ named: some Collection<Member>, queued: Int) {
        for state in WorkerState.allCases {
            Gauge(label: "gantry_pool_workers", dimensions: [("pool", pool), ("state", state.rawValue)])
                .record(named.count { $0.state == state })
        }
        Gauge(label: "gantry_pool_queued_requests", dimensions: [("pool", pool)]).record(queued)
    }
}
