import GantryChangeSources
import GantryCluster
import GantryConfig
import GantryModel
import GantryReporters
import GantryStorage
import Logging

/// Turns configured reporters, change sources and the retention janitor into the clustered services a master runs.
struct IntegrationFactory: Sendable {
    /// A reporter with what it is built from besides its own settings: a change to any of it restarts the
    /// reporter at a reload.
    struct ReporterSetup: Hashable {
        var config: ReporterConfig
        var baseURL: String
        var secrets: SecretsConfig
    }

    /// A change source with the secrets it reads and the directory its working copy defaults to.
    struct ChangeSourceSetup: Hashable {
        var config: ChangeSourceConfig
        var secrets: SecretsConfig
        var basedir: String
    }

    let database: Database
    let clock: any Clock<Duration>
    let logger: Logger
    let transport = HTTPTransport()

    /// The reporters of `configuration`.
    static func reporters(of configuration: MasterConfig) -> [ReporterSetup] {
        let scheme = configuration.httpTLS == nil ? "http" : "https"
        let baseURL = configuration.publicURL ?? "\(scheme)://\(configuration.http)"
        return configuration.reporters.map {
            ReporterSetup(config: $0, baseURL: baseURL, secrets: configuration.secrets)
        }
    }

    /// The change sources of `configuration`.
    static func changeSources(of configuration: MasterConfig) -> [ChangeSourceSetup] {
        configuration.changeSources.map {
            ChangeSourceSetup(config: $0, secrets: configuration.secrets, basedir: configuration.basedir)
        }
    }

    /// The reporters, change sources and janitor of `configuration`, as a master starts them.
    func services(of configuration: MasterConfig) -> [any ClusteredServiceBehavior] {
        Self.reporters(of: configuration).map(reporter) + Self.changeSources(of: configuration).map(changeSource)
            + Self.janitors(of: configuration).map(janitor)
    }

    /// The janitor of `configuration`: one when it sets a retention, none otherwise.
    static func janitors(of configuration: MasterConfig) -> [RetentionSettings] {
        configuration.retention.map { [$0] } ?? []
    }

    func janitor(_ settings: RetentionSettings) -> any ClusteredServiceBehavior {
        JanitorService(settings: settings, database: database, clock: clock, logger: logger)
    }

    func reporter(_ setup: ReporterSetup) -> any ClusteredServiceBehavior {
        let links = ReportLinks(baseURL: setup.baseURL)
        let secrets = Self.store(setup.secrets)
        let config = setup.config
        func statuses(_ host: CommitStatusHost, _ settings: CommitStatusSettings) -> any Reporter {
            CommitStatusReporter(
                config: config, host: host, settings: settings, links: links, secrets: secrets, transport: transport)
        }
        let reporter: any Reporter =
            switch config.kind {
            case .github(let settings): statuses(.github(checks: settings.checks), settings)
            case .gitlab(let settings): statuses(.gitlab, settings)
            case .gitea(let settings): statuses(.gitea, settings)
            case .http(let settings):
                HTTPPushReporter(
                    config: config, settings: settings, links: links, secrets: secrets, transport: transport)
            case .mail(let settings):
                MailReporter(config: config, settings: settings, links: links, secrets: secrets, clock: database.clock)
            }
        return ReporterService(reporter: reporter, database: database, clock: clock, logger: logger)
    }

    func changeSource(_ setup: ChangeSourceSetup) -> any ClusteredServiceBehavior {
        switch setup.config.kind {
        case .gitPoller(let settings):
            GitPoller(
                name: setup.config.name, settings: settings, database: database, secrets: Self.store(setup.secrets),
                workdir: settings.workdir ?? setup.basedir + "/gitpoller-work", clock: clock, logger: logger)
        }
    }

    /// What changes the running reporters, change sources and janitor (of `old`) into those of `new`.
    func changes(from old: MasterConfig, to new: MasterConfig) -> [ServiceChange] {
        serviceChanges(
            .reporter, from: Self.reporters(of: old), to: Self.reporters(of: new), name: \.config.name, make: reporter)
            + serviceChanges(
                .changeSource, from: Self.changeSources(of: old), to: Self.changeSources(of: new),
                name: \.config.name, make: changeSource)
            + serviceChanges(
                .janitor, from: Self.janitors(of: old), to: Self.janitors(of: new),
                name: { _ in JanitorService.serviceName }, make: janitor)
    }

    private static func store(_ secrets: SecretsConfig) -> SecretStore {
        SecretStore(directory: secrets.directory, environmentPrefix: secrets.environmentPrefix)
    }
}
