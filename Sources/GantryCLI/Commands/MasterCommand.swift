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

#if canImport(Glibc)
    import Glibc
#endif

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

        @Flag(help: .hidden) var exitWithParent = false

        func run() async throws {
            let settings: MasterConfig
            do {
                settings = try ConfigLoader.load(file: config)
            } catch let error as ConfigError {
                throw CommandFailure(error.description)
            }
            let logger = CommandLogging.service("gantry.master")
            Self.raiseDescriptorLimit(logger: logger)
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
                    port: settings.http.port,
                    limits: settings.httpLimits
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
                var services = ([master, http, reload] + workerPort).map {
                    ServiceGroupConfiguration.ServiceConfiguration(service: $0)
                }
                if exitWithParent {
                    services.append(
                        .init(
                            service: ParentWatch(logger: logger), successTerminationBehavior: .gracefullyShutdownGroup))
                }
                let group = ServiceGroup(
                    configuration: ServiceGroupConfiguration(
                        services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
        }
    }
}

extension GantryCommand.MasterCommand {
    /// Raises the soft limit on open descriptors to the hard limit: every HTTP and worker connection holds one, and
    /// the usual soft limit of 1,024 is far below what the connection caps allow.
    static func raiseDescriptorLimit(logger: Logger) {
        #if canImport(Glibc)
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
            var limit = rlimit()
            guard getrlimit(resource, &limit) == 0 else { return }
            if limit.rlim_cur < limit.rlim_max {
                limit.rlim_cur = limit.rlim_max
                if setrlimit(resource, &limit) != 0 {
                    logger.debug(
                        "cannot raise the descriptor limit",
                        metadata: ["gantry.error": "\(String(cString: strerror(errno)))"])
                    return
                }
            }
            logger.debug("descriptor limit", metadata: ["gantry.descriptors.limit": "\(limit.rlim_cur)"])
        #endif
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
