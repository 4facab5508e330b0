import ArgumentParser
import Foundation
import GantryCommandLine
import GantryConfig
import GantryMaster
import GantryModel
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
                let metrics = PrometheusCollectorRegistry()
                MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
                let pidFile = PIDFile(configPath: config)
                try pidFile.write()
                defer { pidFile.remove() }
                let master = try await Master.register(settings, database: database, metrics: metrics, logger: logger)
                var services = [
                    ServiceGroupConfiguration.ServiceConfiguration(service: master),
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: ReloadOnHangup(configPath: config, master: master, logger: logger)),
                ]
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
                        metadata: [LogKey.error: "\(String(cString: strerror(errno)))"])
                    return
                }
            }
            logger.debug("descriptor limit", metadata: [LogKey.descriptorLimit: "\(limit.rlim_cur)"])
        #endif
    }
}
