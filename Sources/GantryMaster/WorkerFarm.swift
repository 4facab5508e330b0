import Foundation
import GantryBuilds
import GantryCluster
import GantryConfig
import GantryModel
import GantryPools
import GantryStorage
import GantryTLS
import GantryWorkers
import Logging
import ServiceLifecycle

/// The worker port and what serves it: the workers connected here, the distributor starting builds of this
/// master's builders on them, and the pools' manager. The port is bound before the pools are built (their
/// workers connect to it); connections are served once the master has joined the cluster.
struct WorkerFarm: Service, CustomStringConvertible {
    let port: WorkerPort.Bound
    let manager: WorkerManager
    let distributor: BuildDistributor
    let pools: PoolManager
    let passwords: WorkerPasswords
    let database: Database
    let masterID: Int
    /// Open once the master has joined the cluster.
    private let membership = Latch()
    /// The cluster's announcements: this master back after a peer expired it, or a peer expired.
    let clusterEvents: AsyncStream<ClusterEvent>
    let logger: Logger

    var description: String { "workers service" }

    /// Binds the worker port (serving TLS with `tls`) and builds the parts that serve it, configured as
    /// `configuration` says.
    static func bind(
        _ configuration: MasterConfig, masterID: Int, database: Database, passwords: WorkerPasswords,
        triggers: TriggerableSchedulers, clusterEvents: AsyncStream<ClusterEvent>, tls: TLSServerContext?,
        clock: ContinuousClock, logger: Logger
    ) async throws -> WorkerFarm {
        let settings = configuration.workerPort
        let port = try await WorkerPort(
            host: settings.address.host, port: settings.address.port,
            limits: WorkerPortLimits(
                upgradeTimeout: settings.upgradeTimeout, idleTimeout: settings.idleTimeout,
                maxUnauthenticatedConnections: settings.maxUnauthenticatedConnections),
            tls: tls, logger: logger, password: passwords.password(of:)
        ).bind()
        let manager = WorkerManager(clock: clock, keepalive: settings.keepalive, logger: logger)
        let distributor = BuildDistributor(
            database: database, masterID: masterID, workers: manager, clock: clock,
            secrets: SecretStore(
                directory: configuration.secrets.directory, environmentPrefix: configuration.secrets.environmentPrefix),
            triggers: triggers, basedir: URL(fileURLWithPath: configuration.basedir, isDirectory: true),
            logStorage: configuration.logStorage, logger: logger)
        await distributor.prepare(
            try await served(configuration, database: database),
            maxBuilds: maxBuilds(configuration), maxUses: maxUses(configuration.pools))
        let pools = poolManager(
            configuration, masterID: masterID, database: database, distributor: distributor, manager: manager,
            port: port.port, clock: clock, logger: logger)
        await pools.configure(configuration.pools, passwords: passwords.passwords(of: configuration.pools))
        return WorkerFarm(
            port: port, manager: manager, distributor: distributor, pools: pools, passwords: passwords,
            database: database, masterID: masterID, clusterEvents: clusterEvents, logger: logger)
    }

    /// Lets connections through: the master has joined the cluster.
    func joined() {
        membership.open()
    }

    func run() async throws {
        // A graceful shutdown first terminates the pools (builds on their workers get each pool's grace), then
        // cancels the port and the distributor (builds in flight end where they are; the master's stop then ends
        // them RETRY and hands their requests back); that cancellation is the normal end of this service.
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    try await port.serve(
                        onLink: { link in
                            // Held until the master has joined; a master that stops before it does drops them.
                            await membership.waitUnlessCancelled()
                            guard !Task.isCancelled else { return }
                            await distributor.serve(link)
                        },
                        onEnd: { await distributor.ended($0) })
                }
                group.addTask { await manager.keepWatching() }
                group.addTask { await distributor.run() }
                group.addTask { try await pools.run() }
                group.addTask {
                    try await gracefulShutdown()
                    await pools.terminate()
                    throw CancellationError()
                }
                group.addTask {
                    // The first `masterStarted` of this master is its joining; any later one, its return after a peer
                    // expired it.
                    var joinedBefore = false
                    for await event in clusterEvents {
                        await follow(event, returning: joinedBefore)
                        if case .masterStarted(let id, _) = event, id == masterID { joinedBefore = true }
                    }
                }
            }
        } catch is CancellationError {
            logger.info("workers service stopped")
        }
    }

    /// Takes a reloaded configuration's builders, worker limits and pools.
    /// - Returns: The pools' services to start and stop (a changed pool keeps its service: its manager follows
    ///   the new settings).
    func apply(_ next: MasterConfig) async -> [ServiceChange] {
        do {
            try await distributor.configure(
                try await Self.served(next, database: database),
                maxBuilds: Self.maxBuilds(next), maxUses: Self.maxUses(next.pools))
        } catch {
            logger.error("builders not reconfigured", metadata: [LogKey.error: "\(error)"])
        }
        let changes = await pools.configure(next.pools, passwords: passwords.passwords(of: next.pools))
        return changes.removed.map { ServiceChange.stop(kind: .pool, name: $0) }
            + changes.added.map { ServiceChange.start(pools.service(for: $0)) }
    }

    /// This master joining (its first check-in) or back after a peer expired it records its workers (the expiry
    /// deleted them, while they stayed connected); a peer expired or stopped frees requests to take over at once.
    private func follow(_ event: ClusterEvent, returning: Bool) async {
        switch event {
        case .masterStarted(let id, _) where id == masterID:
            // Tried until it succeeds: without the records, this master's workers take no build.
            var delay = Duration.seconds(1)
            while !Task.isCancelled {
                do {
                    try await distributor.reregister()
                    logger.info(
                        returning ? "workers registered again after this master's expiry" : "workers registered")
                    return
                } catch {
                    logger.error("workers not registered again; trying again", metadata: [LogKey.error: "\(error)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(30))
                }
            }
        case .masterStopped(let id, _) where id != masterID:
            await distributor.wakeUp()
        case .masterStarted, .masterStopped:
            break
        }
    }

    /// The pools' manager: local pool workers are the `gantry-worker` beside this executable (else its own
    /// `gantry worker`) in each pool's `basedir`,
    /// else under the temporary directory (never in the configuration directory), connecting to the worker port
    /// on the loopback when it listens on all addresses.
    private static func poolManager(
        _ configuration: MasterConfig, masterID: Int, database: Database, distributor: BuildDistributor,
        manager: WorkerManager, port: Int, clock: ContinuousClock, logger: Logger
    ) -> PoolManager {
        let address = configuration.workerPort.address.host
        let host = ["0.0.0.0", "::", ""].contains(address) ? "127.0.0.1" : address
        let executable = LocalProvisioner.workerExecutable(
            beside: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path)
        if !configuration.pools.isEmpty {
            logger.info("local pools run their workers with \(executable)")
        }
        let (configurationDirectory, secretsDirectory) = (configuration.basedir, configuration.secrets.directory)
        let secrets = SecretStore(
            directory: configuration.secrets.directory, environmentPrefix: configuration.secrets.environmentPrefix)
        // An ssh pool's hosts' slots outlive each start, and reloads.
        let books = SSHHostBooks()
        return PoolManager(
            database: database, masterID: masterID,
            workers: DistributedPoolWorkers(distributor: distributor, manager: manager, database: database),
            master: "\(host):\(port)",
            provisioner: { pool in
                switch pool.provisioner {
                case .local:
                    LocalProvisioner(
                        executable: executable, pool: pool, configurationDirectory: configurationDirectory,
                        secretsDirectory: secretsDirectory)
                case .command(let start, let stop):
                    CommandProvisioner(start: start, stop: stop, logger: logger)
                case .docker(let settings):
                    DockerProvisioner(settings: settings, logger: logger)
                case .ssh(let settings):
                    // Its key's directory: "ssh." is no pool's name, so no local pool's workers live in it.
                    SSHProvisioner(
                        pool: pool.name, settings: settings, books: books, secrets: secrets,
                        workdir: LocalProvisioner.defaultBasedir(
                            pool: "ssh." + pool.name, configurationDirectory: configurationDirectory
                        ).path, logger: logger)
                }
            }, clock: clock, logger: logger)
    }

    /// The configured workers' `maxBuilds`, and each pool worker's its pool's.
    private static func maxBuilds(_ configuration: MasterConfig) -> [String: Int] {
        let pooled = configuration.pools.flatMap { pool in pool.workerNames.map { ($0, pool.maxBuilds) } }
        return Dictionary(configuration.workers.map { ($0.name, $0.maxBuilds) } + pooled) { first, _ in first }
    }

    /// Each pool worker's `maxUses`, for pools that have one.
    private static func maxUses(_ pools: [PoolConfig]) -> [String: Int] {
        let limited = pools.flatMap { pool in pool.maxUses.map { uses in pool.workerNames.map { ($0, uses) } } ?? [] }
        return Dictionary(limited) { first, _ in first }
    }

    /// The builders of `configuration` with their workers, those of the pools serving them included, and how
    /// each collapses requests (its own rule, else the configuration's).
    private static func served(_ configuration: MasterConfig, database: Database) async throws
        -> [BuildDistributor.Builder]
    {
        var served: [BuildDistributor.Builder] = []
        for builder in configuration.builders {
            let poolWorkers = configuration.pools.filter { $0.builders.contains(builder.name) }.flatMap(\.workerNames)
            served.append(
                BuildDistributor.Builder(
                    id: try await database.builders.findBuilderId(builder.name), name: builder.name,
                    workers: builder.workers + poolWorkers, steps: builder.steps, properties: builder.properties,
                    collapseRequests: builder.collapseRequests ?? configuration.collapseRequests, locks: builder.locks))
        }
        return served
    }
}
