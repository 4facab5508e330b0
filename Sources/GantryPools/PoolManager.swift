import Foundation
public import GantryConfig
import GantryModel
public import GantryStorage
public import GantryWorkers
public import Logging

/// Starts and retires the workers of this master's pools with the queue, as Copr's backend does with
/// `spin_up_workers_by_group` and `prune_dead_workers_by_group`, each `tick`:
///
/// - a started worker that connected is running; one that has not after `startTimeout` is stopped and counted
///   as a failure; one whose process died is pruned (its build, if any, ends RETRY as its connection is lost);
/// - workers are started while the pool's pending requests outnumber its idle and starting workers (and to
///   keep `minIdle` idle ones), up to `maxWorkers`;
/// - an idle worker beyond `minIdle` is retired after `idleTimeout`, and so is any worker above a lowered
///   `maxWorkers` once it is idle.
///
/// Stopping the manager stops every worker it started (each interrupts its commands first).
public actor PoolManager {
    /// A worker of a pool, as the manager knows it.
    public struct Member: Sendable {
        public enum State: String, Sendable { case starting, idle, busy }
        public var name: String
        public var state: State
        let process: any ProvisionedWorker
        var startedTicks = 0
        var idleTicks = 0
    }

    let database: Database
    let masterID: Int
    let workers: WorkerManager
    let master: String
    let provisioner: @Sendable (PoolConfig) -> any WorkerProvisioner
    let clock: any Clock<Duration>
    let tick: Duration
    let logger: Logger
    private var pools: [PoolConfig] = []
    private var passwords: [String: String] = [:]
    private var members: [String: [String: Member]] = [:]
    private var failures: [String: Int] = [:]
    private(set) var events: [PoolEvent] = []

    /// - Parameters:
    ///   - master: The worker port the pool's workers connect to, as HOST:PORT.
    ///   - provisioner: How each pool starts its workers.
    public init(
        database: Database, masterID: Int, workers: WorkerManager, master: String,
        provisioner: @escaping @Sendable (PoolConfig) -> any WorkerProvisioner, clock: any Clock<Duration>,
        tick: Duration = .seconds(1), logger: Logger
    ) {
        self.database = database
        self.masterID = masterID
        self.workers = workers
        self.master = master
        self.provisioner = provisioner
        self.clock = clock
        self.tick = tick
        self.logger = logger
    }

    /// Serves `pools` from now on (at start and on reload); `passwords` are their workers' passwords.
    public func configure(_ pools: [PoolConfig], passwords: [String: String]) {
        let reloaded = !self.pools.isEmpty
        self.pools = pools
        self.passwords = passwords
        if reloaded { for pool in pools { record(pool.name, nil, .configReloaded) } }
    }

    /// The pool's workers by name.
    public func members(of pool: String) -> [Member] {
        (members[pool] ?? [:]).values.sorted { $0.name < $1.name }
    }

    /// The pool's events, oldest first.
    public func events(of pool: String) -> [PoolEvent] {
        events.filter { $0.pool == pool }
    }

    /// How many of the pool's workers failed to start.
    public func startFailures(of pool: String) -> Int { failures[pool, default: 0] }

    /// What the API shows of each pool: its settings, workers by state, queue depth and start failures.
    public struct Status: Sendable {
        public var pool: PoolConfig
        public var members: [Member]
        public var queued: Int
        public var startFailures: Int
    }

    public func status() async throws -> [Status] {
        var statuses: [Status] = []
        for pool in pools {
            statuses.append(
                Status(
                    pool: pool, members: members(of: pool.name), queued: try await pendingRequests(pool),
                    startFailures: failures[pool.name, default: 0]))
        }
        return statuses
    }

    /// A pool with `exitOnWorker` lost a worker.
    public struct WorkerDied: Error, CustomStringConvertible {
        public var pool: String
        public var worker: String

        public var description: String {
            "worker \(worker) of pool \(pool) died, and the pool has exitOnWorker: the master stops"
        }
    }

    /// Manages the pools until cancelled, then stops every worker it started.
    /// - Throws: `WorkerDied` when a worker of a pool with `exitOnWorker` died (its other workers are stopped).
    public func run() async throws {
        while (try? await clock.sleep(for: tick)) != nil {
            for pool in pools {
                do {
                    try await manage(pool)
                } catch let died as WorkerDied {
                    logger.critical("\(died)")
                    await Task { await self.stopAll() }.value
                    throw died
                } catch {
                    logger.warning(
                        "pool not managed this time",
                        metadata: ["gantry.pool": "\(pool.name)", "gantry.error": "\(error)"])
                }
            }
            await retireRemovedPools()
        }
        // Cancelled: the workers are stopped in a task of their own, whose waits are not cancelled.
        await Task { await self.stopAll() }.value
    }

    private func stopAll() async {
        for (pool, named) in members {
            for member in named.values {
                await member.process.stop()
                record(pool, member.name, .retired, "the master is stopping")
            }
        }
        members = [:]
    }

    private func manage(_ pool: PoolConfig) async throws {
        var named = members[pool.name] ?? [:]
        let busy = try await busyWorkers()
        let ticksOf = { (duration: Duration) in Int((duration / self.tick).rounded(.up)) }
        for (name, var member) in named {
            if await member.process.hasExited {
                named[name] = nil
                members[pool.name] = named
                record(pool.name, name, .pruned, "its process ended")
                if pool.exitOnWorker { throw WorkerDied(pool: pool.name, worker: name) }
                continue
            }
            let attached = await workers.worker(named: name) != nil
            switch member.state {
            case .starting where attached:
                member.state = busy.contains(name) ? .busy : .idle
                record(pool.name, name, .connected)
            case .starting:
                member.startedTicks += 1
                if member.startedTicks >= ticksOf(pool.startTimeout) {
                    await member.process.stop()
                    named[name] = nil
                    failures[pool.name, default: 0] += 1
                    record(pool.name, name, .startFailed, "not connected after \(pool.startTimeout)")
                    continue
                }
            case .idle, .busy:
                guard attached else {
                    await member.process.stop()
                    named[name] = nil
                    record(pool.name, name, .pruned, "it stopped answering")
                    continue
                }
                member.state = busy.contains(name) ? .busy : .idle
                member.idleTicks = member.state == .idle ? member.idleTicks + 1 : 0
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
            await member.process.stop()
            named[member.name] = nil
            idle.removeAll { $0.name == member.name }
            record(
                pool.name, member.name, .retired,
                allowed.contains(member.name) ? "idle for \(pool.idleTimeout)" : "above maxWorkers")
        }
        // Spin up: demand beyond idle and starting workers, and minIdle, up to maxWorkers.
        let pending = try await pendingRequests(pool)
        let starting = named.values.filter { $0.state == .starting }.count
        var wanted = max(pending - idle.count - starting, pool.minIdle - idle.count - starting, 0)
        for name in pool.workerNames where wanted > 0 && named[name] == nil {
            guard let password = passwords[name] else { continue }
            do {
                let process = try await provisioner(pool).start(name: name, password: password, master: master)
                named[name] = Member(name: name, state: .starting, process: process)
                record(pool.name, name, .startRequested)
            } catch {
                failures[pool.name, default: 0] += 1
                record(pool.name, name, .startFailed, "\(error)")
            }
            wanted -= 1
        }
        members[pool.name] = named
    }

    /// Pools no longer configured: their workers are stopped.
    private func retireRemovedPools() async {
        let configured = Set(pools.map(\.name))
        for (pool, named) in members where !configured.contains(pool) {
            for member in named.values {
                await workers.shutDown(member.name, reason: "pool \(pool) removed")
                await member.process.stop()
                record(pool, member.name, .retired, "the pool was removed")
            }
            members[pool] = nil
        }
    }

    /// Requests of the pool's builders waiting for a worker.
    private func pendingRequests(_ pool: PoolConfig) async throws -> Int {
        var builderIDs: [Int] = []
        for name in pool.builders { builderIDs.append(try await database.builders.findBuilderId(name)) }
        return try await database.buildRequests.getBuildRequests(
            builderids: builderIDs, complete: false, claimed: .unclaimed
        ).count
    }

    /// Names of the workers running a build of this master.
    private func busyWorkers() async throws -> Set<String> {
        let ids = Set(try await database.builds.getBuilds(masterid: masterID, complete: false).compactMap(\.workerID))
        guard !ids.isEmpty else { return [] }
        return Set(try await database.workers.getWorkers().filter { ids.contains($0.id) }.map(\.name))
    }

    private func record(_ pool: String, _ worker: String?, _ kind: PoolEvent.Kind, _ detail: String? = nil) {
        events.append(PoolEvent(time: database.clock.now(), pool: pool, worker: worker, kind: kind, detail: detail))
        if events.count > 10_000 { events.removeFirst(events.count - 10_000) }
        logger.info(
            "pool \(kind.rawValue)",
            metadata: [
                "gantry.pool": "\(pool)", "gantry.worker": "\(worker ?? "-")", "gantry.detail": "\(detail ?? "")",
            ])
    }
}
