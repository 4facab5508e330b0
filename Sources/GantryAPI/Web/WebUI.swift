import GantryModel
import GantryPools
import GantryStorage
import Hummingbird
import Logging

/// The web UI: HTML pages rendered on the server from the same database the data API reads, so any master serves
/// them for the whole cluster. Every page works without scripts (lists are paged on the server, actions are
/// plain forms posted to `/ui/...`); the live script keeps a page current from the event feed.
struct WebUI: Sendable {
    let database: Database
    /// The force schedulers of this master's configuration, whose forms the builder pages show.
    let forceSchedulers: ForceSchedulerRegistry
    let masterID: Int
    /// This master's pools; none when it serves no workers.
    let pools: PoolManager?
    let logger: Logger
    /// The control operations the action routes carry out, the same as the JSON-RPC API's.
    let control: ControlActions
    let templates: WebTemplates
    /// Who may do what: the login form's users, and the rules the pages' buttons follow.
    let access: AccessControl
    /// Whether the session cookie is sent over TLS only (the master serves TLS).
    let secureCookies: Bool

    /// Every page, action and asset route.
    func addRoutes(to router: Router<APIRequestContext>) {
        WebAssets.addRoutes(to: router)
        addHomePages(to: router)
        addBuilderListPages(to: router)
        addBuilderPages(to: router)
        addForceActions(to: router)
        addBuildPages(to: router)
        addBuildActions(to: router)
        addLogPages(to: router)
        addGridPages(to: router)
        addWorkerPages(to: router)
        addPoolPages(to: router)
        addBuildRequestPages(to: router)
        addChangePages(to: router)
        addSchedulerPages(to: router)
        addMasterPages(to: router)
        addReporterPages(to: router)
        addLoginPages(to: router)
        addAuditPages(to: router)
    }
}

extension HTTPAPI {
    /// The web UI over this API's database and services, rendered with `templates`.
    func webUI(templates: WebTemplates) -> WebUI {
        WebUI(
            database: database, forceSchedulers: forceSchedulers, masterID: masterID, pools: pools, logger: logger,
            control: control, templates: templates, access: access, secureCookies: secureCookies)
    }
}
