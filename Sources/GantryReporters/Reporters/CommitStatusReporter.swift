public import GantryModel

/// Puts a commit status on each revision a build request builds, at each of its moments, on the code host
/// `host` names; what differs between the hosts' APIs is theirs (`GitHubStatuses`, `GitLabStatuses`,
/// `GiteaStatuses`).
public struct CommitStatusReporter: Reporter {
    public let config: ReporterConfig
    /// A status replaces the previous one of its context; a check run sent twice is a second identical run, shown
    /// in the one place of its name; GitLab refusing to set a state twice counts as sent.
    public var isIdempotent: Bool { true }
    public var needsDetails: Bool { false }

    private let api: any CommitStatusAPI
    private let settings: CommitStatusSettings
    private let links: ReportLinks
    private let secrets: SecretStore
    private let transport: HTTPTransport

    public init(
        config: ReporterConfig, host: CommitStatusHost, settings: CommitStatusSettings, links: ReportLinks,
        secrets: SecretStore, transport: HTTPTransport
    ) {
        self.config = config
        self.api = host.api
        self.settings = settings
        self.links = links
        self.secrets = secrets
        self.transport = transport
    }

    public func reports(for subject: ReportSubject) -> [Report] {
        let statuses = CommitStatus.all(
            for: subject, context: settings.context, links: links, nested: api.allowsNestedProjects)
        return statuses.map { status in
            Report(target: status.target, payload: api.request(for: status, of: subject).payload)
        }
    }

    public func deliver(_ payload: JSONValue, deliveryID: Int) async -> DeliveryOutcome {
        guard let token = secrets.value(settings.tokenSecret) else { return .missingSecret(settings.tokenSecret) }
        return await HTTPReport.send(
            payload, base: settings.baseURL, via: transport, headers: { _, _ in api.headers(token: token) },
            alreadyApplied: { api.isAlreadyApplied($0) })
    }
}
