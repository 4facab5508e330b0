package import GantryModel

/// The pool manager's decisions, without I/O: which workers of the pools this master manages start, connect, are
/// pruned, retired and stopped.
///
/// `PoolManager` tells it what happened (a claim won, a tick, new demand, what a look found, a worker stopped,
/// terminate, the run's end, a claim released) and carries out the actions it returns. Time counts in ticks only,
/// so a look for new demand between two ticks counts none. The rules of a look are on ``looked(_:_:)``.
package struct PoolStateMachine: Sendable {
    package typealias WorkerState = PoolManager.WorkerState

    /// The manager's life.
    package enum State: Sendable, Hashable {
        /// The managed pools start, prune and retire workers.
        case running
        /// `terminate()` was asked: nothing starts, and builds on connected workers get their pool's grace.
        case draining
        /// The run has ended, or a worker of an `exitOnWorker` pool died: nothing starts any more.
        case stopped
    }

    /// A worker of a managed pool.
    package struct Member: Sendable, Hashable {
        package var name: String
        package var state: WorkerState
        /// Ticks since it was asked to start, while it has not connected.
        package var startedTicks = 0
        /// Ticks it has been idle in a row.
        package var idleTicks = 0

        package init(name: String, state: WorkerState, startedTicks: Int = 0, idleTicks: Int = 0) {
            self.name = name
            self.state = state
            self.startedTicks = startedTicks
            self.idleTicks = idleTicks
        }
    }

    /// A pool whose claim this master holds.
    package struct ManagedPool: Sendable, Hashable {
        package var members: [String: Member] = [:]
        /// Ticks before the pool may start another worker (`minStartInterval`).
        package var cooldown = 0
        /// A tick passed that no look has counted yet: ticks coalesce, so a slow look counts one, never a burst.
        package var tickPending = false
        /// Why the pool starts no worker: a start failed in a way that cannot work as configured. A reload of
        /// the configuration clears it.
        package var blocked: String?
        /// Ticks since each connected member connected, for `maxAge`.
        package var ages: [String: Int] = [:]
    }

    /// What the manager found when it looked at a pool, gathered before the machine decides.
    package struct Observation: Sendable, Hashable {
        /// Members whose process ended by itself.
        package var exited: Set<String>
        /// Members whose start failed, with why.
        package var failedStarts: [String: String]
        /// Members whose start the provider refused for now (a quota, a rate limit), with why.
        package var deferredStarts: [String: String]
        /// Members whose start failed in a way that cannot work as configured (the image is missing), with why.
        package var impossibleStarts: [String: String]
        /// Members connected and attached to this master.
        package var attached: Set<String>
        /// Attached members running a build of this master.
        package var busy: Set<String>
        /// Attached members that ran the pool's `maxUses` builds.
        package var usedUp: Set<String>
        /// The pool's builders' requests waiting for a worker.
        package var pending: Int

        package init(
            exited: Set<String> = [], failedStarts: [String: String] = [:], deferredStarts: [String: String] = [:],
            impossibleStarts: [String: String] = [:], attached: Set<String> = [], busy: Set<String> = [],
            usedUp: Set<String> = [], pending: Int = 0
        ) {
            self.exited = exited
            self.failedStarts = failedStarts
            self.deferredStarts = deferredStarts
            self.impossibleStarts = impossibleStarts
            self.attached = attached
            self.busy = busy
            self.usedUp = usedUp
            self.pending = pending
        }
    }

    /// A pool's gauges after a look: workers by state, and requests waiting.
    package struct Gauges: Sendable, Hashable {
        package var starting = 0
        package var idle = 0
        package var busy = 0
        package var queued = 0
        /// The pool starts no worker (``ManagedPool/blocked``).
        package var blocked = false

        package init(starting: Int = 0, idle: Int = 0, busy: Int = 0, queued: Int = 0, blocked: Bool = false) {
            self.starting = starting
            self.idle = idle
            self.busy = busy
            self.queued = queued
            self.blocked = blocked
        }

        /// The workers in `state`.
        package func count(_ state: WorkerState) -> Int {
            switch state {
            case .starting: starting
            case .idle: idle
            case .busy: busy
            }
        }
    }

    /// What the manager is to do, in order.
    package enum Action: Sendable, Hashable {
        /// Start the worker in the background, with its password.
        case start(pool: String, worker: String)
        /// Stop what was started for the worker, in the background, then report ``stopped(_:worker:)``.
        case stop(pool: String, worker: String)
        /// Drop what was started for the worker: it is gone by itself (its process ended, or its start failed).
        case forget(pool: String, worker: String)
        /// Shut the connected worker down and close its connection.
        case shutDown(worker: String, reason: String)
        /// Give the connected worker no new build.
        case makeGraceful(worker: String)
        /// Log the event and add it to the pool's log.
        case record(pool: String, worker: String?, kind: PoolEvent.Kind, detail: String? = nil)
        /// Count a failed start in the metrics.
        case countStartFailure(pool: String)
        /// A worker of a pool with `exitOnWorker` died: the run ends with an error.
        case exitOnWorker(pool: String, worker: String)
        /// Record the pool's gauges.
        case report(pool: String, gauges: Gauges)
        /// Look at the pool again now (a worker's name is free again, or time or demand changed).
        case look(pool: String)
    }

    package private(set) var state = State.running
    /// The configured pools, by name.
    package private(set) var settings: [String: PoolSettings] = [:]
    /// The pools whose claim this master holds, by name.
    package private(set) var managed: [String: ManagedPool] = [:]
    /// Workers being stopped, by pool: their names are not started again until they are gone.
    package private(set) var stopping: [String: Set<String>] = [:]
    /// Failed starts by pool, since this master started (shown by the API).
    package private(set) var failures: [String: Int] = [:]
    /// Ticks counted by looks, by pool.
    package private(set) var handledTicks: [String: Int] = [:]
    /// The workers that have a password: only those can be started.
    private var withPassword: Set<String> = []
    /// How long a tick is, to count durations in ticks.
    package let tickLength: Duration

    package init(tick: Duration) {
        tickLength = tick
    }

    // MARK: - Queries

    /// Why the pool starts no worker, when a start failed in a way that cannot work as configured.
    package func blocked(_ pool: String) -> String? {
        managed[pool]?.blocked
    }

    /// The pool's members, by name.
    package func members(of pool: String) -> [Member] {
        (managed[pool]?.members ?? [:]).values.sorted { $0.name < $1.name }
    }

    /// The names of every member of every managed pool.
    package var memberNames: [String] {
        managed.values.flatMap(\.members.keys).sorted()
    }

    /// The pool's settings when a look at it now would decide anything: it is configured and managed here, and
    /// the manager runs.
    package func lookable(_ pool: String) -> PoolSettings? {
        switch state {
        case .running: managed[pool] == nil ? nil : settings[pool]
        case .draining, .stopped: nil
        }
    }

    /// Whether `terminate()` still waits: some pool, within its `terminateGrace` after `waited`, has a member
    /// running a build.
    package func isDraining(busy: Set<String>, waited: Duration) -> Bool {
        managed.contains { pool, current in
            waited < (settings[pool]?.terminateGrace ?? .zero) && current.members.keys.contains(where: busy.contains)
        }
    }

    // MARK: - Events

    /// The master's configuration was read (at start, or on reload): the pools follow `pools` from their next
    /// look, and only workers in `names` (those with a password) start. On reload, each managed pool records it,
    /// and a blocked pool tries again: the reload is how an operator says the cause was fixed.
    package mutating func configured(_ pools: [PoolSettings], withPasswords names: Set<String>) -> [Action] {
        let reloaded = !settings.isEmpty
        settings = Dictionary(pools.map { ($0.name, $0) }) { first, _ in first }
        withPassword = names
        guard reloaded else { return [] }
        for pool in managed.keys { managed[pool]?.blocked = nil }
        return pools.filter { managed[$0.name] != nil }.map {
            Action.record(pool: $0.name, worker: nil, kind: .configReloaded)
        }
    }

    /// This master won the pool's claim: it manages the pool from now on, and looks at it at once.
    package mutating func claimed(_ pool: String) -> [Action] {
        if managed[pool] == nil { managed[pool] = ManagedPool() }
        let claimed = Action.record(pool: pool, worker: nil, kind: .claimed)
        switch state {
        case .running: return [claimed, .look(pool: pool)]
        case .draining, .stopped: return [claimed]
        }
    }

    /// A tick passed: the pool's next look counts it.
    package mutating func tick(_ pool: String) -> [Action] {
        guard managed[pool] != nil else { return [] }
        managed[pool]?.tickPending = true
        return lookIfRunning(pool)
    }

    /// Requests were added: the pool looks at once, counting no time.
    package mutating func demand(_ pool: String) -> [Action] {
        guard managed[pool] != nil else { return [] }
        return lookIfRunning(pool)
    }

    /// A worker stopped in the background is gone: its name is free again, and the pool looks in case a request
    /// waits for it.
    package mutating func stopped(_ pool: String, worker: String) -> [Action] {
        stopping[pool]?.remove(worker)
        if stopping[pool]?.isEmpty == true { stopping[pool] = nil }
        guard managed[pool] != nil else { return [] }
        return lookIfRunning(pool)
    }

    /// `terminate()` was asked: nothing starts any more; a member still starting has nothing to finish and is
    /// stopped at once, and each one `attached` gets no new build, so it can finish the one it runs.
    package mutating func terminate(attached: Set<String>) -> [Action] {
        switch state {
        case .running: state = .draining
        case .draining, .stopped: return []
        }
        var actions: [Action] = []
        for pool in managed.keys.sorted() {
            for member in members(of: pool) {
                if attached.contains(member.name) {
                    actions.append(.makeGraceful(worker: member.name))
                    continue
                }
                switch member.state {
                case .starting:
                    actions += stop(pool, member.name)
                    actions.append(
                        .record(pool: pool, worker: member.name, kind: .retired, detail: Self.masterStopping))
                case .idle, .busy:
                    // Its connection is gone: the run's end stops it.
                    break
                }
            }
        }
        return actions
    }

    /// The run ends (after `terminate()`'s grace, a worker's death in an `exitOnWorker` pool, or cancellation):
    /// every worker started here is stopped. The pools stay managed, empty, until their claims are released.
    package mutating func runEnded() -> [Action] {
        state = .stopped
        var actions: [Action] = []
        for pool in managed.keys.sorted() { actions += retireAll(pool, reason: Self.masterStopping) }
        return actions
    }

    /// This master no longer manages the pool: its workers here are stopped (builds they still run end RETRY and
    /// their requests wait again). After the run's end there are none left, and only the release is recorded.
    package mutating func released(_ pool: String) -> [Action] {
        guard managed[pool] != nil else { return [] }
        let reason: String
        switch state {
        case .running: reason = settings[pool] == nil ? "the pool was removed" : "the pool's claim was lost"
        case .draining, .stopped: reason = Self.masterStopping
        }
        var actions = retireAll(pool, reason: reason)
        actions.append(.record(pool: pool, worker: nil, kind: .released, detail: reason))
        managed[pool] = nil
        return actions
    }

    // MARK: - Parts

    static let masterStopping = "the master is stopping"
    /// How long a pool waits to start again after a provider refused a start for now.
    static let quotaBackoff = Duration.seconds(10)

    /// `duration` in ticks, rounded up.
    func ticks(_ duration: Duration) -> Int {
        Int((duration / tickLength).rounded(.up))
    }

    private func lookIfRunning(_ pool: String) -> [Action] {
        switch state {
        case .running: [.look(pool: pool)]
        case .draining, .stopped: []
        }
    }

    /// Takes the member out of its pool and has it stopped; its name stays taken until ``stopped(_:worker:)``.
    mutating func stop(_ pool: String, _ name: String) -> [Action] {
        managed[pool]?.members[name] = nil
        managed[pool]?.ages[name] = nil
        stopping[pool, default: []].insert(name)
        return [.stop(pool: pool, worker: name)]
    }

    /// Shuts down, stops and records each member of the pool, which is left empty.
    private mutating func retireAll(_ pool: String, reason: String) -> [Action] {
        var actions: [Action] = []
        for member in members(of: pool) {
            actions.append(.shutDown(worker: member.name, reason: "pool \(pool): \(reason)"))
            actions += stop(pool, member.name)
            actions.append(.record(pool: pool, worker: member.name, kind: .retired, detail: reason))
        }
        return actions
    }
}

// MARK: - A look

extension PoolStateMachine {
    /// The manager looked at a pool this master manages and found `observation`; decided in three parts, as
    /// Copr's backend does with `prune_dead_workers_by_group` and `spin_up_workers_by_group`. Time counts only
    /// when a tick is pending (a look for new demand between ticks counts none):
    ///
    /// - ``pruneDeadWorkers(_:_:_:elapsed:)``: a started worker that connected is running; one that has not after
    ///   `startTimeout` is stopped and counted as a failure, and so is one whose start failed; one whose process
    ///   ended or whose connection was lost is pruned (its build, if any, ends RETRY as its connection is lost);
    /// - ``retireIdleWorkers(_:_:)``: an idle worker beyond `minIdle` is retired after `idleTimeout`, highest
    ///   names first, and so is any worker above a lowered `maxWorkers` once it is idle;
    /// - ``spinUpWorkers(_:_:pending:elapsed:)``: workers start while the pool's pending requests outnumber its
    ///   idle and starting workers (and to keep `minIdle` idle ones), up to `maxWorkers`, at most one per
    ///   `minStartInterval`.
    package mutating func looked(_ pool: String, _ observation: Observation) -> [Action] {
        guard let settings = lookable(pool), let current = managed[pool] else { return [] }
        let elapsed = current.tickPending ? 1 : 0
        managed[pool]?.tickPending = false
        if elapsed > 0 { handledTicks[pool, default: 0] += 1 }
        var actions = pruneDeadWorkers(pool, settings, observation, elapsed: elapsed)
        switch state {
        case .running: break
        case .draining, .stopped: return actions
        }
        actions += retireIdleWorkers(pool, settings, usedUp: observation.usedUp)
        actions += spinUpWorkers(pool, settings, pending: observation.pending, elapsed: elapsed)
        actions.append(.report(pool: pool, gauges: gauges(of: pool, queued: observation.pending)))
        return actions
    }

    /// Follows each member's start, connection and process; a death in a pool with `exitOnWorker` stops the
    /// manager and ends the look there.
    mutating func pruneDeadWorkers(
        _ pool: String, _ settings: PoolSettings, _ observation: Observation, elapsed: Int
    ) -> [Action] {
        var actions: [Action] = []
        for var member in members(of: pool) {
            let name = member.name
            if observation.exited.contains(name) {
                managed[pool]?.members[name] = nil
                managed[pool]?.ages[name] = nil
                actions.append(.forget(pool: pool, worker: name))
                actions.append(.record(pool: pool, worker: name, kind: .pruned, detail: "its process ended"))
                if settings.exitOnWorker {
                    state = .stopped
                    actions.append(.exitOnWorker(pool: pool, worker: name))
                    return actions
                }
                continue
            }
            let attached = observation.attached.contains(name)
            let building = observation.busy.contains(name)
            switch member.state {
            case .starting where attached:
                member.state = building ? .busy : .idle
                actions.append(.record(pool: pool, worker: name, kind: .connected))
            case .starting:
                if let failure = observation.failedStarts[name] {
                    managed[pool]?.members[name] = nil
                    actions.append(.forget(pool: pool, worker: name))
                    actions += startFailed(pool, name, failure)
                    continue
                }
                if let refusal = observation.deferredStarts[name] {
                    managed[pool]?.members[name] = nil
                    // This look's own tick is counted off in spinUpWorkers: the wait is the whole backoff after it.
                    let cooldown = max(managed[pool]?.cooldown ?? 0, ticks(Self.quotaBackoff) + elapsed)
                    managed[pool]?.cooldown = cooldown
                    actions.append(.forget(pool: pool, worker: name))
                    actions.append(.record(pool: pool, worker: name, kind: .startDeferred, detail: refusal))
                    continue
                }
                if let failure = observation.impossibleStarts[name] {
                    managed[pool]?.members[name] = nil
                    managed[pool]?.blocked = failure
                    actions.append(.forget(pool: pool, worker: name))
                    actions += startFailed(pool, name, failure)
                    actions.append(.record(pool: pool, worker: name, kind: .blocked, detail: failure))
                    continue
                }
                member.startedTicks += elapsed
                if member.startedTicks >= ticks(settings.startTimeout) {
                    actions += stop(pool, name)
                    actions += startFailed(pool, name, "not connected after \(settings.startTimeout)")
                    continue
                }
            case .idle, .busy:
                guard attached else {
                    actions += stop(pool, name)
                    actions.append(.record(pool: pool, worker: name, kind: .pruned, detail: "it stopped answering"))
                    continue
                }
                member.state = building ? .busy : .idle
                member.idleTicks = member.state == .idle ? member.idleTicks + elapsed : 0
                let age = (managed[pool]?.ages[name] ?? 0) + elapsed
                managed[pool]?.ages[name] = age
                // A busy worker past maxAge takes no new build, so it is idle for its retirement soon.
                if building, let maxAge = settings.maxAge, age >= ticks(maxAge), age - elapsed < ticks(maxAge) {
                    actions.append(.makeGraceful(worker: name))
                }
            }
            managed[pool]?.members[name] = member
        }
        return actions
    }

    /// Retires idle workers beyond `minIdle` after `idleTimeout`, idle ones above a lowered `maxWorkers`, and
    /// idle ones that ran their `maxUses` builds or are older than `maxAge` (those are replaced as demand says).
    mutating func retireIdleWorkers(_ pool: String, _ settings: PoolSettings, usedUp: Set<String>) -> [Action] {
        let allowed = Set(settings.workerNames)
        var idle = members(of: pool).filter { $0.state == .idle }.sorted { $0.name > $1.name }
        var actions: [Action] = []
        for member in idle {
            let reason: String
            if !allowed.contains(member.name) {
                reason = "above maxWorkers"
            } else if usedUp.contains(member.name), let uses = settings.maxUses {
                reason = "ran its maxUses of \(uses) build\(uses == 1 ? "" : "s")"
            } else if let maxAge = settings.maxAge, managed[pool]?.ages[member.name, default: 0] ?? 0 >= ticks(maxAge) {
                reason = "older than maxAge \(maxAge)"
            } else if idle.count > settings.minIdle && member.idleTicks >= ticks(settings.idleTimeout) {
                reason = "idle for \(settings.idleTimeout)"
            } else {
                continue
            }
            actions.append(.shutDown(worker: member.name, reason: "retired by pool \(pool)"))
            actions += stop(pool, member.name)
            idle.removeAll { $0.name == member.name }
            actions.append(.record(pool: pool, worker: member.name, kind: .retired, detail: reason))
        }
        return actions
    }

    /// Starts workers for demand beyond idle and starting ones, and for `minIdle`, up to `maxWorkers`, spaced by
    /// `minStartInterval`, at most `maxStarting` starting at once; never a name still being stopped, nor one
    /// without a password, nor any while the pool is blocked. Each idle or starting worker counts for its
    /// `maxBuilds` requests (at most its `maxUses`).
    mutating func spinUpWorkers(_ pool: String, _ settings: PoolSettings, pending: Int, elapsed: Int) -> [Action] {
        let current = members(of: pool)
        let idle = current.count { $0.state == .idle }
        var starting = current.count { $0.state == .starting }
        let slots = max(min(settings.maxBuilds, settings.maxUses ?? .max), 1)
        let uncovered = pending - (idle + starting) * slots
        var wanted = max((uncovered + slots - 1) / slots, settings.minIdle - idle - starting, 0)
        var cooldown = max((managed[pool]?.cooldown ?? 0) - elapsed, 0)
        var actions: [Action] = []
        for name in settings.workerNames
        where wanted > 0 && cooldown == 0 && managed[pool]?.members[name] == nil
            && stopping[pool]?.contains(name) != true && managed[pool]?.blocked == nil
            && starting < settings.maxStarting ?? .max
        {
            guard withPassword.contains(name) else { continue }
            managed[pool]?.members[name] = Member(name: name, state: .starting)
            actions.append(.start(pool: pool, worker: name))
            actions.append(.record(pool: pool, worker: name, kind: .startRequested))
            wanted -= 1
            starting += 1
            cooldown = ticks(settings.minStartInterval)
        }
        managed[pool]?.cooldown = cooldown
        return actions
    }

    private mutating func startFailed(_ pool: String, _ name: String, _ detail: String) -> [Action] {
        failures[pool, default: 0] += 1
        return [.countStartFailure(pool: pool), .record(pool: pool, worker: name, kind: .startFailed, detail: detail)]
    }

    private func gauges(of pool: String, queued: Int) -> Gauges {
        let current = members(of: pool)
        return Gauges(
            starting: current.count { $0.state == .starting }, idle: current.count { $0.state == .idle },
            busy: current.count { $0.state == .busy }, queued: queued, blocked: managed[pool]?.blocked != nil)
    }
}
