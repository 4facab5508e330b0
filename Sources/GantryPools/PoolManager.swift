import Foundation
public import GantryCluster
public import GantryModel
public import GantryStorage
public import Logging

/// Runs this master's share of the cluster's pools. Each configured pool is a clustered service
/// (``service(for:)``), hosted by the master's lifecycle, so exactly one master manages it (starting, pruning and
/// retiring its workers, see ``PoolStateMachine/looked(_:_:)``) and another takes over when that master dies or
/// stops.
///
/// The decisions are ``PoolStateMachine``'s; the manager gathers what they need (with awaits), tells the machine
/// synchronously, and carries out the actions it returns, so no look ever writes back a stale copy of the pools.
///
/// `terminate()` is the clean stop: no more workers start, builds on pool workers get the pool's
/// `terminateGrace` to finish (the workers take no new ones meanwhile), then every worker the manager started is
/// stopped (interrupting what still runs; those requests wait again) and ``run()`` returns. The pools' claims are
/// released as the lifecycle stops their services.
public actor PoolManager {
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

        public var pool: PoolSettings
        public var managedBy: Int?
        public var workers: [Worker]
        public var queued: Int
        public var startFailures: Int
        /// Why the pool starts no worker, when a start failed in a way that cannot work as configured (only the
        /// managing master knows).
        public var blocked: String?
    }

    private enum Command: Sendable {
        case died(WorkerDied)
        case terminate
    }

    let database: Database
    let masterID: Int
    let workers: any PoolWorkers
    let master: String
    let provisioner: @Sendable (PoolSettings) -> any WorkerProvisioner
    let clock: any Clock<Duration>
    let tick: Duration
    let logger: Logger
    /// Every decision about the pools.
    var machine: PoolStateMachine
    var passwords: [String: String] = [:]
    /// What was started for each member, by pool and name.
    var processes: [String: [String: StartingWorker]] = [:]
    /// Workers being stopped in the background, by pool and name.
    var stopTasks: [String: [String: Task<Void, Never>]] = [:]
    /// Each pool's reap in the background, while one runs.
    var reaping: [String: Task<Void, Never>] = [:]
    /// Clean-ups of workers gone by themselves.
    var cleanups: [UUID: Task<Void, Never>] = [:]
    /// This master's claim on each pool it manages: instances are recorded under it.
    var fences: [String: ClaimFence] = [:]
    /// The cluster's name, read once: every instance carries it as a label.
    var clusterName: String?
    /// What wakes each managed pool's look.
    var wakers: [String: WakeUpSignal] = [:]
    var builderIDs: [[String]: [Int]] = [:]
    private let commands: AsyncStream<Command>
    private let post: AsyncStream<Command>.Continuation
    /// Open once ``run()`` has ended.
    private let finished = Latch()

    /// - Parameters:
    ///   - workers: The workers connected to this master, as the build distributor sees them.
    ///   - master: The worker port the pool's workers connect to, as HOST:PORT.
    ///   - provisioner: How each pool starts its workers.
    ///   - tick: How often each managed pool is looked at.
    public init(
        database: Database, masterID: Int, workers: any PoolWorkers, master: String,
        provisioner: @escaping @Sendable (PoolSettings) -> any WorkerProvisioner, clock: any Clock<Duration>,
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
        machine = PoolStateMachine(tick: tick)
        (commands, post) = AsyncStream.makeStream()
    }

    /// Serves `pools` from now on (at start and on reload); `passwords` are their workers' passwords. A changed
    /// pool keeps its workers and follows its new settings from its next look.
    /// - Returns: The pools added, removed and changed: the master starts the services of the added ones and
    ///   stops those of the removed ones (a changed one needs no restart).
    @discardableResult
    public func configure(_ pools: [PoolSettings], passwords: [String: String]) async -> PoolChanges {
        let changes = PoolChanges(from: machine.settings, to: pools)
        self.passwords = passwords
        await perform(machine.configured(pools, withPasswords: Set(passwords.keys)))
        return changes
    }

    /// Pool `pool` as a clustered service, for the master's lifecycle to host: while this master holds its claim,
    /// the manager manages it; when the service stops, its workers here are stopped.
    public nonisolated func service(for pool: String) -> any ClusteredServiceBehavior {
        PoolService(name: pool, manager: self)
    }

    /// Every configured pool's status. The workers of a pool another master manages are read from the database
    /// (connected ones, busy when building; one starting there is not seen).
    /// - Parameter name: Only that pool's (none when it is not configured).
    public func status(of name: String? = nil) async throws -> [Status] {
        let managers = try await database.claims(.pool).getClaimingMasters()
        var remote: (workers: [Worker], busy: Set<Int>)?
        var statuses: [Status] = []
        for pool in machine.settings.values.sorted(by: { $0.name < $1.name }) where name == nil || pool.name == name {
            var workers = machine.members(of: pool.name).map { Status.Worker(name: $0.name, state: $0.state) }
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
                    queued: try await pendingRequests(pool), startFailures: machine.failures[pool.name, default: 0],
                    blocked: machine.blocked(pool.name)))
        }
        return statuses
    }

    /// Whether pool `name` is in this master's configuration.
    public func configures(_ name: String) -> Bool { machine.settings[name] != nil }

    /// Runs until ``terminate()`` (or cancellation), then stops every worker it started.
    /// - Throws: `WorkerDied` when a worker of a pool with `exitOnWorker` died (every worker is stopped first).
    public func run() async throws {
        defer { finished.open() }
        for await command in commands {
            switch command {
            case .died(let died):
                logger.critical("\(died)")
                await stopEverything()
                throw died
            case .terminate:
                await stopEverything()
                return
            }
        }
        // Cancelled: what it started is stopped all the same.
        await stopEverything()
    }

    /// Stops the pools cleanly (see the type's description); returns once ``run()`` has ended.
    public func terminate() async {
        // Graceful: the distributor gives connected workers no new build. One still starting has nothing to
        // finish: it is stopped at once.
        let attached = await workers.snapshot(of: machine.memberNames).keys
        await perform(machine.terminate(attached: Set(attached)))
        var waited = Duration.zero
        while true {
            let busy = await workers.snapshot(of: machine.memberNames).filter { $0.value.busy }.keys
            guard machine.isDraining(busy: Set(busy), waited: waited) else { break }
            guard (try? await clock.sleep(for: tick)) != nil else { break }
            waited += tick
        }
        post.yield(.terminate)
        await finished.wait()
    }

    /// A worker of a pool with `exitOnWorker` died: ``run()`` stops every worker and throws.
    func workerDied(_ died: WorkerDied) {
        post.yield(.died(died))
    }

    /// How many ticks of the pool this master's looks have counted.
    package func ticks(of pool: String) -> Int { machine.handledTicks[pool, default: 0] }

    /// This master no longer manages the pool: its workers here are stopped (builds they still run end RETRY and
    /// their requests wait again) before the claim is released, so another master never starts a second worker
    /// of the same name.
    func release(_ name: String) async {
        // In a task of its own, whose waits are not cancelled with the service.
        await Task { await self.stopWorkers(releasing: name) }.value
    }

    /// Every worker this manager started is stopped, and waited for; nothing starts any more.
    private func stopEverything() async {
        // In a task of its own: a cancelled run still stops what it started, and records it.
        await Task { await self.stopWorkers(releasing: nil) }.value
    }

    /// Stops the workers of pool `name` as its claim is released, or every worker as the run ends (`nil`).
    private func stopWorkers(releasing name: String?) async {
        if let name {
            await perform(machine.released(name))
        } else {
            await perform(machine.runEnded())
        }
        await waitForStops(of: name)
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
                "pool event not stored", metadata: [LogKey.pool: "\(pool)", LogKey.error: "\(error)"])
        }
        logger.info(
            "pool \(kind.rawValue)",
            metadata: [
                LogKey.pool: "\(pool)", LogKey.worker: "\(worker ?? "-")", LogKey.detail: "\(detail ?? "")",
            ])
    }
}
