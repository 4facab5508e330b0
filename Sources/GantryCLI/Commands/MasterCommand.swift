import ArgumentParser
import Foundation
import GantryAPI
import GantryCluster
import GantryConfig
import GantryModel
import GantryPools
import GantryScheduling
import GantryStorage
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

extension GantryCommand {
    /// `gantry master --config FILE`: run a master in the foreground until SIGTERM or SIGINT.
    struct MasterCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "master",
            abstract: "Run a master in the foreground; SIGTERM or SIGINT stops it cleanly.",
            discussion: """
                The master registers in the database, expires silent peers, claims its schedulers, checks in \
                every heartbeat and serves the HTTP API. A new, empty database gets its schema created; an \
                outdated one must be upgraded with 'gantry upgrade-master' first. SIGHUP (or 'gantry reconfig') \
                reloads the configuration; the process id is kept beside the configuration file \
                (master.yaml → master.pid).
                """
        )

        @Option(help: "The YAML configuration file.")
        var config: String

        func run() async throws {
            let settings: MasterConfig
            do {
                settings = try ConfigLoader.load(file: config)
            } catch let error as ConfigError {
                throw CommandFailure(error.description)
            }
            let logger = CommandLogging.service("gantry.master")
            try await DatabaseOptions.withDatabase(settings.database, migrating: true) { database in
                let migrator = Migrator(database)
                if try await migrator.currentVersion() == 0 { try await migrator.migrate() }
                try await migrator.requireCurrent()
                try await database.builders.updateBuilderInfo(settings.builders)
                let clock = ContinuousClock()
                let factory = SchedulerFactory(database: database, clock: clock, logger: logger)
                let schedulers = settings.schedulers.map(factory.make)
                let forceSchedulers = ForceSchedulerRegistry(schedulers.compactMap { $0 as? ForceScheduler })
                let triggers = TriggerableSchedulers(schedulers)
                let (clusterEvents, announceClusterEvent) = AsyncStream<ClusterEvent>.makeStream()
                let lifecycle = MasterLifecycle(
                    name: settings.name,
                    database: database,
                    settings: ClusterSettings(
                        heartbeat: settings.heartbeat,
                        expireAfter: settings.expireAfter,
                        claimPoll: settings.claimPoll
                    ),
                    clock: clock,
                    builders: settings.builders.map(\.name),
                    services: schedulers,
                    logger: logger
                ) { event in
                    logger.info("\(event.topic)", metadata: ["gantry.event.master": "\(event)"])
                    announceClusterEvent.yield(event)
                }
                let (masterIDs, announceMasterID) = AsyncStream<Int>.makeStream()
                let identity = MasterIdentity()
                let poolsRegistry = PoolsRegistry()
                let metrics = PrometheusCollectorRegistry()
                MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
                let master = MasterService(lifecycle: lifecycle) {
                    identity.set($0)
                    announceMasterID.yield($0)
                }
                let http = HTTPServer(
                    HTTPAPI(
                        database: database,
                        changeHooks: settings.changeHooks,
                        forceSchedulers: forceSchedulers,
                        master: identity,
                        pools: poolsRegistry,
                        metrics: metrics,
                        logger: logger
                    ),
                    host: settings.http.host,
                    port: settings.http.port
                ) { port in
                    let address = ListenAddress(host: settings.http.host, port: port)
                    logger.info("HTTP API listening", metadata: ["gantry.http.address": "\(address)"])
                    master.httpListens()
                }
                // The master joins the cluster only once its API listens, so a taken address stops it before it
                // claims anything. Services stop in reverse order: the HTTP server first, then the master.
                let passwords = WorkerPasswords(settings.workers, pools: settings.pools)
                let (reloadedConfigs, announceReload) = AsyncStream<MasterConfig>.makeStream()
                let reload = ReloadService(
                    configPath: config, running: settings, database: database, lifecycle: lifecycle, factory: factory,
                    forceSchedulers: forceSchedulers, triggers: triggers, workerPasswords: passwords,
                    reloaded: announceReload,
                    logger: logger)
                let pidFile = PIDFile(configPath: config)
                try pidFile.write()
                defer { pidFile.remove() }
                // With no workers configured there is nothing to listen for.
                let workerPort: [any Service] =
                    settings.workers.isEmpty && settings.pools.isEmpty
                    ? []
                    : [
                        WorkersService(
                            settings: settings.workerPort, passwords: passwords, builders: settings.builders,
                            workers: settings.workers, pools: settings.pools, claimPoll: settings.claimPoll,
                            reloaded: reloadedConfigs,
                            secrets: settings.secrets,
                            basedir: settings.basedir, poolsRegistry: poolsRegistry,
                            triggers: triggers,
                            database: database, masterID: masterIDs, clusterEvents: clusterEvents,
                            logger: logger)
                    ]
                let group = ServiceGroup(
                    services: [master, http, reload] + workerPort,
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
                try await group.run()
            }
        }
    }
}

/// The master's lifecycle as a service: it starts once the HTTP API listens; graceful shutdown becomes a
/// clean stop.
struct MasterService: Service {
    let lifecycle: MasterLifecycle
    /// Told the master's id once it is registered.
    let registered: @Sendable (Int) -> Void
    private let httpListening: AsyncStream<Void>
    private let httpListeningContinuation: AsyncStream<Void>.Continuation

    init(lifecycle: MasterLifecycle, registered: @escaping @Sendable (Int) -> Void) {
        self.lifecycle = lifecycle
        self.registered = registered
        (httpListening, httpListeningContinuation) = AsyncStream<Void>.makeStream()
    }

    /// Lets the master start.
    func httpListens() {
        httpListeningContinuation.finish()
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in httpListening {}
        } onGracefulShutdown: {
            httpListeningContinuation.finish()
        }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try await withGracefulShutdownHandler {
            try await lifecycle.run { masterID, _ in registered(masterID) }
        } onGracefulShutdown: {
            lifecycle.stop()
        }
    }
}
