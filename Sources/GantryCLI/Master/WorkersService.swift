import Foundation
import GantryBuilds
import GantryCluster
import GantryConfig
import GantryPools
import GantryStorage
import GantryWorkers
import Logging
import ServiceLifecycle

/// Once the master has joined the cluster: opens the worker port, serves the workers that connect, and starts
/// builds of this master's builders on them (taking new builders and worker limits from each reload).
struct WorkersService: Service, CustomStringConvertible {
    let settings: WorkerPortConfig
    let passwords: WorkerPasswords
    let builders: [BuilderConfig]
    let workers: [WorkerConfig]
    let pools: [PoolConfig]
    /// How often a pool managed by another master is polled for its claim.
    let claimPoll: Duration
    /// Each reloaded configuration.
    let reloaded: AsyncStream<MasterConfig>
    let secrets: SecretsConfig
    /// The configuration's directory.
    let basedir: String
    /// Where the API finds the pool manager.
    let poolsRegistry: PoolsRegistry
    let triggers: TriggerableSchedulers
    let database: Database
    /// Yields the master's id once it is registered.
    let masterID: AsyncStream<Int>
    /// The cluster's announcements: this master back after a peer expired it, or a peer expired.
    let clusterEvents: AsyncStream<ClusterEvent>
    let logger: Logger

    /// The service group logs its services by description at debug.
    var description: String { "workers service" }

    func run() async throws {
        var ids = masterID.makeAsyncIterator()
        guard let masterID = await ids.next() else { return }
        let clock = ContinuousClock()
        let manager = WorkerManager(
            database: database, masterID: masterID, clock: clock, keepalive: settings.keepalive, logger: logger)
        let distributor = BuildDistributor(
            database: database, masterID: masterID, workers: manager, clock: clock,
            secrets: SecretStore(directory: secrets.directory, environmentPrefix: secrets.environmentPrefix),
            triggers: triggers, basedir: URL(fileURLWithPath: basedir, isDirectory: true), logger: logger)
        try await distributor.configure(try await served(builders, pools: pools), maxBuilds: Self.maxBuilds(workers))
        // A graceful shutdown first terminates the pools (builds on their workers get each pool's grace), then
        // cancels the port and the distributor (builds in flight end where they are; the master's stop then ends
        // them RETRY and hands their requests back); that cancellation is the normal end of this service.
        do {
            try await run(manager: manager, distributor: distributor, masterID: masterID, clock: clock)
        } catch is CancellationError {
            logger.info("workers service stopped")
        }
    }

    private func run(manager: WorkerManager, distributor: BuildDistributor, masterID: Int, clock: ContinuousClock)
        async throws
    {
        let port = WorkerPort(
            host: settings.address.host, port: settings.address.port,
            limits: WorkerPortLimits(
                upgradeTimeout: settings.upgradeTimeout, idleTimeout: settings.idleTimeout,
                maxUnauthenticatedConnections: settings.maxUnauthenticatedConnections),
            logger: logger, password: passwords.password(of:))
        let (bound, boundTo) = AsyncStream<Int>.makeStream()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await port.run(onBound: { boundTo.yield($0) }) { link in await manager.serve(link) }
            }
            group.addTask { await distributor.run() }
            var ports = bound.makeAsyncIterator()
            guard let number = await ports.next() else { return }
            let pools = self.poolManager(masterID: masterID, workers: manager, port: number, clock: clock)
            await pools.configure(self.pools, passwords: passwords.passwords(of: self.pools))
            poolsRegistry.set(pools)
            group.addTask { try await pools.run() }
            group.addTask {
                try await gracefulShutdown()
                await pools.terminate()
                throw CancellationError()
            }
            group.addTask {
                for await event in clusterEvents {
                    await self.follow(
                        event, masterID: masterID, manager: manager, distributor: distributor, pools: pools)
                }
            }
            group.addTask {
                for await next in reloaded {
                    do {
                        try await distributor.configure(
                            try await served(next.builders, pools: next.pools),
                            maxBuilds: Self.maxBuilds(next.workers))
                        await pools.configure(next.pools, passwords: passwords.passwords(of: next.pools))
                    } catch {
                        logger.error("builders not reconfigured", metadata: ["gantry.error": "\(error)"])
                    }
                }
            }
        }
    }

    /// This master back after a peer expired it records its workers again (the expiry deleted them, while they
    /// stayed connected); a peer expired or stopped frees requests and pools to take over at once.
    private func follow(
        _ event: ClusterEvent, masterID: Int, manager: WorkerManager, distributor: BuildDistributor,
        pools: PoolManager
    ) async {
        switch event {
        case .masterStarted(let id, _) where id == masterID:
            // Tried until it succeeds: without the records, this master's workers take no build.
            var delay = Duration.seconds(1)
            while !Task.isCancelled {
                do {
                    try await distributor.reregister()
                    try await manager.reregister()
                    logger.info("workers registered again after this master's expiry")
                    return
                } catch {
                    logger.error("workers not registered again; trying again", metadata: ["gantry.error": "\(error)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(30))
                }
            }
        case .masterStopped(let id, _) where id != masterID:
            await distributor.wakeUp()
            await pools.claimNow()
        case .masterStarted, .masterStopped:
            break
        }
    }

    /// The pools' manager: local pool workers are this executable's `gantry worker` in each pool's `basedir`,
    /// else under the temporary directory (never in the configuration directory), connecting to the worker port
    /// on the loopback when it listens on all addresses.
    private func poolManager(masterID: Int, workers: WorkerManager, port: Int, clock: ContinuousClock) -> PoolManager {
        let host = ["0.0.0.0", "::", ""].contains(settings.address.host) ? "127.0.0.1" : settings.address.host
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let (configurationDirectory, secretsDirectory) = (basedir, secrets.directory)
        return PoolManager(
            database: database, masterID: masterID, workers: workers, master: "\(host):\(port)",
            provisioner: { pool in
                switch pool.provisioner {
                case .local:
                    LocalProvisioner(
                        executable: executable, pool: pool, configurationDirectory: configurationDirectory,
                        secretsDirectory: secretsDirectory)
                case .command(let start, let stop):
                    CommandProvisioner(start: start, stop: stop)
                }
            }, clock: clock, claimPoll: claimPoll, logger: logger)
    }

    private static func maxBuilds(_ workers: [WorkerConfig]) -> [String: Int] {
        Dictionary(workers.map { ($0.name, $0.maxBuilds) }) { first, _ in first }
    }

    /// The builders with their workers, those of the pools serving them included.
    private func served(_ builders: [BuilderConfig], pools: [PoolConfig]) async throws -> [BuildDistributor.Builder] {
        var served: [BuildDistributor.Builder] = []
        for builder in builders {
            let poolWorkers = pools.filter { $0.builders.contains(builder.name) }.flatMap(\.workerNames)
            served.append(
                BuildDistributor.Builder(
                    id: try await database.builders.findBuilderId(builder.name), name: builder.name,
                    workers: builder.workers + poolWorkers, steps: builder.steps, properties: builder.properties))
        }
        return served
    }
}

/// Dumps show the configuration the service runs with (passwords masked), never the password store's contents
/// or the database's client.
extension WorkersService: CustomDebugStringConvertible, CustomReflectable {
    var debugDescription: String { description }

    var customMirror: Mirror {
        let children: KeyValuePairs<String, Any> = [
            "settings": settings, "builders": builders.map(\.name), "workers": workers, "pools": pools.map(\.name),
            "claimPoll": claimPoll, "secrets": secrets, "basedir": basedir,
        ]
        return Mirror(self, children: children, displayStyle: .struct)
    }
}
