import Foundation
import GantryCluster
public import GantryConfig
import GantryModel
public import GantryStorage
public import GantryWorkers
public import Logging

/// Runs this master's share of the cluster's pools: each configured pool is a clustered service, so exactly one
/// master manages it (starting, pruning and retiring its workers, see `manage`) and another takes over when that
/// master dies or stops.
///
/// `terminate()` is the clean stop: no more workers start, builds on pool workers get the pool's
/// `terminateGrace` to finish (the workers take no new ones meanwhile), then every worker the manager started is
/// stopped (interrupting what still runs; those requests wait again) and the pools' claims are released.
public actor PoolManager {
    /// A worker of a pool, as the manager knows it.
    struct Member: Sendable {
        var name: String
        var state: WorkerState
        let process: StartingWorker
        var startedTicks = 0
        var idleTicks = 0
    }

    /// A pool with `exitOnWorker` lost a worker.
    public struct WorkerDied: Error, CustomStringConvertible {
        public var pool: String
        public var worker: String

        public var description: String {
            "worker \(worker) of pool \(pool) died, and the pool has exitOnWorker: the master stops"
        }
    }

    /// Where a pool's worker is: started and not yet connected, connected and idle, or building.
    public enum WorkerState: String, Sendable, CaseIterable { case starting, idle, busy }

    /// What the API shows of each pool: its settings, the master managing it, its workers by state, queue depth
    /// and this master's count of start failures.
    public struct Status: Sendable {
        public struct Worker: Sendable, Equatable {
            public var name: String
            public var state: WorkerState
        }

        public var pool: PoolConfig
        public var managedBy: Int?
        public var workers: [Worker]
        public var queued: Int
        public var startFailures: Int
    }

    private enum Command: Sendable {
        case configure
        case revalidate
        case claimNow
        case died(WorkerDied)
        case terminate
    }

    let database: Database
    let masterID: Int
    let workers: WorkerManager
    let master: String
    let provisioner: @Sendable (PoolConfig) -> any WorkerProvisioner
    let clock: any Clock<Duration>
    let tick: Duration
    let claimPoll: Duration
    let logger: Logger
    var pools: [String: PoolConfig] = [:]
    var passwords: [String: String] = [:]
    var members: [String: [String: Member]] = [:]
    var failures: [String: Int] = [:]
    /// Ticks before the pool may start another worker (`minStartInterval`).
    var startCooldown: [String: Int] = [:]
    /// Workers being stopped in the background, by pool and name.
    var stopping: [String: [String: Task<Void, Never>]] = [:]
    private var ticks: [String: Int] = [:]
    /// Pools with a tick not yet counted by a look.
    private var tickPending: Set<String> = []
    /// What wakes each managed pool's look.
    var wakers: [String: AsyncStream<Void>.Continuation] = [:]
    var builderIDs: [[String]: [Int]] = [:]
    var draining = false
    private var services: [String: ClusteredService] = [:]
    private let commands: AsyncStream<Command>
    private let post: AsyncStream<Command>.Continuation
    private var finished = false
    private var finishWaiters: [CheckedContinuation<Void, Never>] = []

    /// - Parameters:
    ///   - master: The worker port the pool's workers connect to, as HOST:PORT.
    ///   - provisioner: How each pool starts its workers.
    ///   - tick: How often each managed pool is looked at, and its claim re-checked.
    ///   - claimPoll: How often a pool another master manages is polled for its claim.
    public init(
        database: Database, masterID: Int, workers: WorkerManager, master: String,
        provisioner: @escaping @Sendable (PoolConfig) -> any WorkerProvisioner, clock: any Clock<Duration>,
        tick: Duration = .seconds(1), claimPoll: Duration = .seconds(5), logger: Logger
    ) {
        self.database = database
        self.masterID = masterID
        self.workers = workers
        self.master = master
        self.provisioner = provisioner
        self.clock = clock
        self.tick = tick
        self.claimPoll = claimPoll
        self.logger = logger
        (commands, post) = AsyncStream.makeStream()
    }

    /// Serves `pools` from now on (at start and on reload); `passwords` are their workers' passwords. A changed
    /// pool keeps its workers and follows its new settings from its next look.
    public func configure(_ pools: [PoolConfig], passwords: [String: String]) async {
        let reloaded = !self.pools.isEmpty
        self.pools = Dictionary(pools.map { ($0.name, $0) }) { first, _ in first }
        self.passwords = passwords
        post.yield(.configure)
        guard reloaded else { return }
        for pool in pools where members[pool.name] != nil { await record(pool.name, nil, .configReloaded) }
    }

    /// Every configured pool's status. The workers of a pool another master manages are read from the database
    /// (connected ones, busy when building; one starting there is not seen).
    /// - Parameter name: Only that pool's (none when it is not configured).
    public func status(of name: String? = nil) async throws -> [Status] {
        let managers = try await database.claims(.pool).getClaimingMasters()
        var remote: (workers: [Worker], busy: Set<Int>)?
        var statuses: [Status] = []
        for pool in pools.values.sorted(by: { $0.name < $1.name }) where name == nil || pool.name == name {
            var workers = (members[pool.name] ?? [:]).values.sorted { $0.name < $1.name }
                .map { Status.Worker(name: $0.name, state: $0.state) }
            if let manager = managers[pool.name], manager != masterID {
                if remote == nil {
                    remote = (
                        try await database.workers.getWorkers(),
                        Set(try await database.builds.getBuilds(complete: false).compactMap(\.workerID))
                    )
                }
                let names = Set(pool.workerNames)
                workers = (remote?.workers ?? []).filter { names.contains($0.name) && $0.connectedTo.contains(manager) }
                    .sorted { $0.name < $1.name }
                    .map { Status.Worker(name: $0.name, state: remote?.busy.contains($0.id) == true ? .busy : .idle) }
            }
            statuses.append(
                Status(
                    pool: pool, managedBy: managers[pool.name], workers: workers,
                    queued: try await pendingRequests(pool), startFailures: failures[pool.name, default: 0]))
        }
        return statuses
    }

    /// Whether pool `name` is in this master's configuration.
    public func configures(_ name: String) -> Bool { pools[name] != nil }

    /// Runs the pools' services until ``terminate()`` (or cancellation), then stops every worker it started.
    /// - Throws: `WorkerDied` when a worker of a pool with `exitOnWorker` died (every pool is stopped first).
    public func run() async throws {
        defer { finish() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [clock, tick, post] in
                while (try? await clock.sleep(for: tick)) != nil { post.yield(.revalidate) }
            }
            loop: for await command in commands {
                switch command {
                case .configure:
                    for (name, service) in services where pools[name] == nil {
                        service.stop()
                        await service.waitUntilStopped()
                        services[name] = nil
                    }
                    for name in pools.keys.sorted() where services[name] == nil {
                        let service = ClusteredService(
                            behavior: PoolService(name: name, manager: self),
                            claimer: DatabaseServiceClaimer(database: database, kind: .pool), masterID: masterID,
                            claimPoll: claimPoll, clock: clock, logger: logger)
                        services[name] = service
                        group.addTask { await service.run() }
                    }
                case .revalidate:
                    // A claim gone (this master was expired by a peer) stops the pool's workers here.
                    for service in services.values { await service.revalidate(masterExpired: false) }
                case .claimNow:
                    for service in services.values { service.pollNow() }
                case .died(let died):
                    logger.critical("\(died)")
                    await stopServices()
                    throw died
                case .terminate:
                    break loop
                }
            }
            await stopServices()
            group.cancelAll()
        }
    }

    /// Claims the pools no master holds now, not at the next claim poll: a peer's expiry just freed its pools.
    public func claimNow() {
        post.yield(.claimNow)
    }

    /// Stops the pools cleanly (see the type's description); returns once ``run()`` has ended.
    public func terminate() async {
        draining = true
        // Graceful: the distributor gives the workers no new build, and shuts each down once idle. One still
        // starting has nothing to finish: it is stopped at once.
        for (pool, named) in members {
            for member in named.values {
                if let id = await workers.worker(named: member.name)?.id {
                    try? await database.workers.setWorkerGraceful(id, graceful: true)
                } else if member.state == .starting {
                    stopInBackground(pool, member)
                    members[pool]?[member.name] = nil
                    await record(pool, member.name, .retired, "the master is stopping")
                }
            }
        }
        var waited = Duration.zero
        while true {
            let busy = (try? await busyMembers()) ?? []
            let waiting = members.filter { pool, named in
                waited < (pools[pool]?.terminateGrace ?? .zero) && named.keys.contains(where: busy.contains)
            }
            if waiting.isEmpty { break }
            guard (try? await clock.sleep(for: tick)) != nil else { break }
            waited += tick
        }
        post.yield(.terminate)
        if finished { return }
        await withCheckedContinuation { finishWaiters.append($0) }
    }

    /// Manages the pool while this master holds its claim (cancelled when the claim ends): looks at it at once,
    /// at every tick (time passes: start and idle timeouts, start spacing), and whenever requests are added (new
    /// demand: workers start without waiting for the tick).
    func manageWhileActive(_ name: String) async {
        await record(name, nil, .claimed)
        _ = Self.startFailures(of: name)  // shown from 0, not from the first failure
        let demand = database.notifier.wakeups(for: [.buildrequestsNew], poll: .seconds(3600), clock: clock)
        // Wake-ups coalesce, and so do ticks: a look that took longer than a tick counts one tick, never a burst
        // of them at once (which would retire a worker that is idle for a moment between two builds).
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        wakers[name] = wake
        defer { wakers[name] = nil }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [clock, tick] in
                while (try? await clock.sleep(for: tick)) != nil {
                    await self.tickPassed(name)
                    wake.yield()
                }
            }
            group.addTask {
                for await _ in demand { wake.yield() }
            }
            wake.yield()
            for await _ in wakeups {
                let ticked = tickPending.remove(name) != nil
                guard !draining, let pool = pools[name] else { continue }
                do {
                    try await manage(pool, ticked: ticked)
                } catch let died as WorkerDied {
                    post.yield(.died(died))
                    break
                } catch {
                    logger.warning(
                        "pool not managed this time", metadata: ["gantry.pool": "\(name)", "gantry.error": "\(error)"])
                }
                if ticked { ticks[name, default: 0] += 1 }
            }
            group.cancelAll()
        }
    }

    private func tickPassed(_ pool: String) {
        tickPending.insert(pool)
    }

    /// How many ticks of the pool this master has handled.
    package func ticks(of pool: String) -> Int { ticks[pool, default: 0] }

    /// This master no longer manages the pool: its workers here are stopped (builds they still run end RETRY and
    /// their requests wait again).
    func release(_ name: String) async {
        let named = members[name] ?? [:]
        let stops = stopping[name] ?? [:]
        members[name] = nil
        let reason =
            draining
            ? "the master is stopping" : pools[name] == nil ? "the pool was removed" : "the pool's claim was lost"
        // In a task of its own, whose waits are not cancelled with the service.
        await Task { [workers] in
            for member in named.values {
                await workers.shutDown(member.name, reason: "pool \(name): \(reason)")
                await member.process.stop()
            }
            for stop in stops.values { await stop.value }
        }.value
        for member in named.values.sorted(by: { $0.name < $1.name }) {
            await record(name, member.name, .retired, reason)
        }
        await record(name, nil, .released, reason)
    }

    private func stopServices() async {
        for service in services.values { service.stop() }
        for service in services.values { await service.waitUntilStopped() }
        services = [:]
    }

    private func finish() {
        finished = true
        for waiter in finishWaiters { waiter.resume() }
        finishWaiters = []
    }

    /// Logs the event and adds it to the pool's log in the database (a failure there is logged, and changes
    /// nothing else).
    func record(_ pool: String, _ worker: String?, _ kind: PoolEvent.Kind, _ detail: String? = nil) async {
        let event = PoolEvent(
            time: database.clock.now(), pool: pool, worker: worker, kind: kind, detail: detail, masterID: masterID)
        do {
            try await database.poolEvents.addPoolEvent(event)
        } catch {
            logger.warning(
                "pool event not stored", metadata: ["gantry.pool": "\(pool)", "gantry.error": "\(error)"])
        }
        logger.info(
            "pool \(kind.rawValue)",
            metadata: [
                "gantry.pool": "\(pool)", "gantry.worker": "\(worker ?? "-")", "gantry.detail": "\(detail ?? "")",
            ])
    }
}
