import Foundation
import GantryAPI
import GantryCluster
public import GantryConfig
import GantryModel
import GantryScheduling
public import GantryStorage
public import Logging
public import Prometheus
public import ServiceLifecycle

/// One master of the cluster, built from a validated configuration: the composition root of every part.
///
/// ``register(_:database:metrics:logger:onHTTPListening:)`` registers the master's name (`findMasterId`), so its id is a plain
/// value from then on, and binds the worker port before it builds the pools (their workers connect to it). Then
/// ``run()`` serves the HTTP API, joins the cluster once the API listens, and serves workers once it has joined;
/// a graceful shutdown unwinds in reverse: the pools and workers first, then the API, then the cluster
/// membership. ``apply(_:)`` is the one path a reload takes, for every part.
public actor Master: Service {
    /// The master's id in the cluster.
    public nonisolated let id: Int
    let database: Database
    let logger: Logger
    /// The configuration running now (keys that take effect only at a restart keep their starting values).
    var running: MasterConfig
    let schedulerFactory: SchedulerFactory
    /// Makes the reporters and change sources, at the start and at each reload.
    let integrations: IntegrationFactory
    let forceSchedulers: ForceSchedulerRegistry
    let triggers: TriggerableSchedulers
    let passwords: WorkerPasswords
    /// Users, rules and attempt limits of the HTTP API; a reload replaces the users and rules.
    let access: AccessControl
    let lifecycle: MasterLifecycle
    let membership: ClusterMembership
    /// Tails the event feed for this master's event-stream clients; stopped after the HTTP API.
    let events: EventFeed
    /// Merges or archives the logs finished here, away from the steps' path.
    let logSettler: LogSettler
    let http: HTTPServer
    /// The worker port and what serves it; none when no worker or pool is configured.
    let farm: WorkerFarm?
    /// The certificates of the HTTP API and the worker port, read again on each reload.
    let tls: MasterTLS
    /// The reload being applied, which the next one waits for.
    var applying: Task<Void, Never>?

    private init(
        id: Int, database: Database, logger: Logger, running: MasterConfig, schedulerFactory: SchedulerFactory,
        integrations: IntegrationFactory, forceSchedulers: ForceSchedulerRegistry, triggers: TriggerableSchedulers,
        passwords: WorkerPasswords,
        access: AccessControl, lifecycle: MasterLifecycle, membership: ClusterMembership, events: EventFeed,
        logSettler: LogSettler, http: HTTPServer,
        farm: WorkerFarm?, tls: MasterTLS
    ) {
        self.id = id
        self.database = database
        self.logger = logger
        self.running = running
        self.schedulerFactory = schedulerFactory
        self.integrations = integrations
        self.forceSchedulers = forceSchedulers
        self.triggers = triggers
        self.passwords = passwords
        self.access = access
        self.lifecycle = lifecycle
        self.membership = membership
        self.events = events
        self.logSettler = logSettler
        self.http = http
        self.farm = farm
        self.tls = tls
    }

    /// Registers the master and builds its parts; nothing is claimed or served until ``run()``.
    /// - Parameters:
    ///   - metrics: The registry `/metrics` shows.
    ///   - onHTTPListening: Told the HTTP API's port once it accepts connections.
    /// - Throws: When a TLS file cannot be used, the database cannot be reached or the worker port cannot be bound.
    public static func register(
        _ configuration: MasterConfig, database: Database, metrics: PrometheusCollectorRegistry, logger: Logger,
        onHTTPListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Master {
        // Before anything is registered: a master configured for TLS does not start without it.
        let tls = try MasterTLS(configuration)
        // The configuration's loader refuses the same; a configuration made in code must not get round it.
        if configuration.auth == nil && !configuration.httpInsecure
            && !AddressRange.isLoopback(configuration.http.host)
        {
            throw GantryError(
                .invalidArgument,
                "the HTTP API would listen on \(configuration.http) without authentication; add 'auth' or 'insecure: true'"
            )
        }
        try await database.builders.updateBuilderInfo(configuration.builders)
        let id = try await database.masters.findMasterId(configuration.name)
        let clock = ContinuousClock()
        let factory = SchedulerFactory(database: database, clock: clock, logger: logger)
        let integrations = IntegrationFactory(database: database, clock: clock, logger: logger)
        let schedulers = configuration.schedulers.map(factory.make)
        let forceSchedulers = ForceSchedulerRegistry(schedulers.compactMap { $0 as? ForceScheduler })
        let triggers = TriggerableSchedulers(schedulers)
        let passwords = WorkerPasswords(configuration.workers, pools: configuration.pools)
        let (clusterEvents, announce) = AsyncStream<ClusterEvent>.makeStream()
        // With no workers configured there is nothing to listen for.
        let farm =
            configuration.workers.isEmpty && configuration.pools.isEmpty
            ? nil
            : try await WorkerFarm.bind(
                configuration, masterID: id, database: database, passwords: passwords, triggers: triggers,
                clusterEvents: clusterEvents, tls: tls.workerPort, clock: clock, logger: logger)
        let poolServices = farm.map { farm in configuration.pools.map { farm.pools.service(for: $0.name) } } ?? []
        let lifecycle = MasterLifecycle(
            name: configuration.name,
            masterID: id,
            database: database,
            settings: ClusterSettings(
                heartbeat: configuration.heartbeat, expireAfter: configuration.expireAfter,
                claimPoll: configuration.claimPoll),
            clock: clock,
            builders: configuration.builders.map(\.name),
            services: schedulers + poolServices + integrations.services(of: configuration),
            logger: logger
        ) { event in
            logger.info("\(event.topic)", metadata: [LogKey.masterEvent: "\(event)"])
            announce.yield(event)
        }
        let membership = ClusterMembership(lifecycle: lifecycle) { farm?.joined() }
        let events = EventFeed(database: database, clock: clock, logger: logger)
        let logSettler = try LogSettler(
            storage: configuration.logStorage, masterID: id, database: database, clock: clock, logger: logger)
        let access = AccessControl(configuration.auth, insecure: configuration.httpInsecure)
        if !configuration.reporters.isEmpty && configuration.publicURL == nil {
            logger.warning(
                "reports link to the HTTP API's own address; set publicURL to the address users reach the UI at",
                metadata: [LogKey.httpAddress: "\(configuration.http)"])
        }
        if configuration.auth == nil && !AddressRange.isLoopback(configuration.http.host) {
            logger.warning(
                "no authentication on an HTTP address beyond this machine (http.insecure): anyone who can connect may control builds and workers",
                metadata: [LogKey.httpAddress: "\(configuration.http)"])
        }
        let http = HTTPServer(
            HTTPAPI(
                database: database, eventFeed: events, changeHooks: configuration.changeHooks,
                forceSchedulers: forceSchedulers, masterID: id, pools: farm?.pools, metrics: metrics,
                templates: try WebTemplates(), access: access, secureCookies: configuration.httpTLS != nil,
                logger: logger),
            host: configuration.http.host, port: configuration.http.port, limits: configuration.httpLimits,
            tls: tls.http,
            buildbotUI: configuration.www.buildbotUI.map { folder in
                BuildbotUI(folder: folder, publicURL: configuration.publicURL, secure: configuration.httpTLS != nil)
            }
        ) { port in
            let address = ListenAddress(host: configuration.http.host, port: port)
            logger.info("HTTP API listening", metadata: [LogKey.httpAddress: "\(address)"])
            onHTTPListening(port)
            membership.httpListens()
        }
        return Master(
            id: id, database: database, logger: logger, running: configuration, schedulerFactory: factory,
            integrations: integrations, forceSchedulers: forceSchedulers, triggers: triggers, passwords: passwords,
            access: access,
            lifecycle: lifecycle,
            membership: membership, events: events, logSettler: logSettler, http: http, farm: farm, tls: tls)
    }

    /// Runs the master until a graceful shutdown (or cancellation) has unwound it.
    public func run() async throws {
        // Started in this order and stopped in reverse: the workers first (pools terminate, builds in flight end
        // with their connections), then the HTTP API, then the master leaves the cluster cleanly.
        var services: [any Service] = [membership, events, logSettler, http]
        if let farm { services += [AfterShutdown { await self.releasePools() }, farm] }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                logger: logger))
        try await group.run()
    }
}

/// The service group logs its services by description.
extension Master: CustomStringConvertible {
    public nonisolated var description: String { "master \(id)" }
}
