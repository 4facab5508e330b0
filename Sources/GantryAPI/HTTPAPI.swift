public import GantryModel
public import GantryPools
public import GantryStorage
public import Hummingbird
public import Logging
public import Prometheus

/// The master's HTTP surface: the web UI, Buildbot's data API under `/api/v2` with its event stream
/// (`/api/v2/events`), the change hooks under `/change_hook`, and `/healthz` and `/metrics`.
///
/// Every master serves it; any master answers for the whole cluster, since all state is in the database.
public struct HTTPAPI: Sendable {
    let database: Database
    /// What `/api/v2/events` streams; the master runs it as a service.
    let eventFeed: EventFeed
    let changeHooks: ChangeHookSettings
    /// The force schedulers of this master's configuration.
    let forceSchedulers: ForceSchedulerRegistry
    /// This master's id, for the claims the API writes itself (cancelling a waiting request).
    let masterID: Int
    /// This master's pools; none when it serves no workers.
    let pools: PoolManager?
    /// What `/metrics` shows: the registry the master's metrics are recorded in.
    let metrics: PrometheusCollectorRegistry
    /// The web UI's pages, parsed once at start.
    let templates: WebTemplates
    /// Who may do what: the authentication settings, rules and attempt limits.
    let access: AccessControl
    /// Whether cookies are marked `Secure`: the API is served over TLS.
    let secureCookies: Bool
    let logger: Logger

    public init(
        database: Database,
        eventFeed: EventFeed,
        changeHooks: ChangeHookSettings = ChangeHookSettings(),
        forceSchedulers: ForceSchedulerRegistry = ForceSchedulerRegistry(),
        masterID: Int,
        pools: PoolManager? = nil,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        templates: WebTemplates,
        access: AccessControl = AccessControl(nil),
        secureCookies: Bool = false,
        logger: Logger
    ) {
        self.database = database
        self.eventFeed = eventFeed
        self.changeHooks = changeHooks
        self.forceSchedulers = forceSchedulers
        self.masterID = masterID
        self.pools = pools
        self.metrics = metrics
        self.templates = templates
        self.access = access
        self.secureCookies = secureCookies
        self.logger = logger
    }

    /// The routes of the API.
    public func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: CallerMiddleware(access: access, database: database, logger: logger))
        addHealth(to: router)
        addMetrics(to: router)
        addMasters(to: router)
        addSchedulers(to: router)
        addSchedulerControl(to: router)
        addForceSchedulers(to: router)
        addWorkers(to: router)
        addChanges(to: router)
        addBuildsets(to: router)
        addBuilds(to: router)
        addLogSearch(to: router)
        addEvents(to: router)
        addControl(to: router)
        addPools(to: router)
        addReporters(to: router)
        addLocks(to: router)
        addWhoAmI(to: router)
        addAudit(to: router)
        addBuilderLinks(to: router)
        addRelatedBuilds(to: router)
        addSteps(to: router)
        addLogDownloads(to: router)
        addSourceStamps(to: router)
        addChangeSources(to: router)
        addEmptyCollections(to: router)
        addApplicationSpec(to: router)
        addChangeHooks(to: router)
        webUI(templates: templates).addRoutes(to: router)
        return router
    }

    /// The query options of `request` in order.
    static func options(of request: Request) -> [(key: String, value: String)] {
        request.uri.queryParameters.map { (key: String($0.key), value: String($0.value)) }
    }
}
