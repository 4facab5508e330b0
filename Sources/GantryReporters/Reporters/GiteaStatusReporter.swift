public import GantryModel

/// Puts a commit status on each revision a build request builds, at each of its moments, on Gitea or Forgejo,
/// as Buildbot's `GiteaStatusPush`.
public struct GiteaStatusReporter: Reporter {
    public let config: ReporterConfig
    /// A status replaces the previous one of its context.
    public var isIdempotent: Bool { true }
    public var needsDetails: Bool { false }

    private let settings: CommitStatusSettings
    private let links: ReportLinks
    private let secrets: SecretStore
    private let transport: HTTPTransport

    /// - Precondition: `config.kind` is `.gitea`.
    public init(config: ReporterConfig, links: ReportLinks, secrets: SecretStore, transport: HTTPTransport) {
        guard case .gitea(let settings) = config.kind else {
            preconditionFailure("a Gitea reporter configured as \(config.kind.typeName)")
        }
        self.config = config
        self.settings = settings
        self.links = links
        self.secrets = secrets
        self.transport = transport
    }

    public func reports(for subject: ReportSubject) -> [Report] {
        CommitStatus.all(for: subject, context: settings.context, links: links, nested: false).map { status in
            Report(target: status.target, payload: Self.status(status).payload)
        }
    }

    public func deliver(_ payload: JSONValue, deliveryID: Int) async -> DeliveryOutcome {
        guard let token = secrets.value(settings.tokenSecret) else { return .missingSecret(settings.tokenSecret) }
        return await HTTPReport.send(payload, base: settings.baseURL, via: transport) { _, _ in
            [("Authorization", "token \(token)")]
        }
    }

    /// `POST /api/v1/repos/{owner}/{repo}/statuses/{sha}`.
    static func status(_ status: CommitStatus) -> HTTPReport {
        HTTPReport(
            location: .path("/api/v1/repos/\(status.repository.path)/statuses/\(status.revision)"),
            body: [
                "state": .string(state(status.phase)),
                "target_url": .string(status.targetURL),
                "description": .string(status.description),
                "context": .string(status.context),
            ])
    }

    /// Gitea's states: it has no running state, so a started build stays pending; it has `warning`; an
    /// exception or a cancellation is an `error`.
    static func state(_ phase: CommitStatus.Phase) -> String {
        switch phase {
        case .pending, .running: "pending"
        case .done(let results):
            switch results {
            case .success, .skipped: "success"
            case .warnings: "warning"
            case .failure: "failure"
            case .exception, .cancelled: "error"
            case .retry: "pending"
            }
        }
    }
}
