import Foundation
public import GantryModel

/// Puts a commit status on each revision a build request builds, at each of its moments, as Buildbot's
/// `GitLabStatusPush`; projects in nested groups (`group/sub/project`) are addressed by their encoded path.
public struct GitLabStatusReporter: Reporter {
    public let config: ReporterConfig
    /// A status replaces the previous one of its name; GitLab refusing to set a state twice counts as sent.
    public var isIdempotent: Bool { true }
    public var needsDetails: Bool { false }

    private let settings: CommitStatusSettings
    private let links: ReportLinks
    private let secrets: SecretStore
    private let transport: HTTPTransport

    /// The characters a project path keeps in the URL; every other one, `/` included, is percent-encoded, as
    /// GitLab's API wants a project's path as one segment (`group%2Fproject`).
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// - Precondition: `config.kind` is `.gitlab`.
    public init(config: ReporterConfig, links: ReportLinks, secrets: SecretStore, transport: HTTPTransport) {
        guard case .gitlab(let settings) = config.kind else {
            preconditionFailure("a GitLab reporter configured as \(config.kind.typeName)")
        }
        self.config = config
        self.settings = settings
        self.links = links
        self.secrets = secrets
        self.transport = transport
    }

    public func reports(for subject: ReportSubject) -> [Report] {
        CommitStatus.all(for: subject, context: settings.context, links: links, nested: true).map { status in
            Report(target: status.target, payload: Self.status(status).payload)
        }
    }

    public func deliver(_ payload: JSONValue, deliveryID: Int) async -> DeliveryOutcome {
        guard let token = secrets.value(settings.tokenSecret) else { return .missingSecret(settings.tokenSecret) }
        return await HTTPReport.send(
            payload, base: settings.baseURL, via: transport, headers: { _, _ in [("PRIVATE-TOKEN", token)] },
            alreadyApplied: Self.isRepeatedState)
    }

    /// `POST /api/v4/projects/{encoded path}/statuses/{sha}`.
    static func status(_ status: CommitStatus) -> HTTPReport {
        let project = status.repository.path.addingPercentEncoding(withAllowedCharacters: unreserved)
        var body: [String: JSONValue] = [
            "state": .string(state(status.phase)),
            "name": .string(status.context),
            "target_url": .string(status.targetURL),
            "description": .string(status.description),
        ]
        if let branch = status.branch { body["ref"] = .string(branch) }
        return HTTPReport(
            location: .path("/api/v4/projects/\(project ?? status.repository.path)/statuses/\(status.revision)"),
            body: .object(body))
    }

    /// GitLab's states: `running` once started; warnings and skipped count as success.
    static func state(_ phase: CommitStatus.Phase) -> String {
        switch phase {
        case .pending: "pending"
        case .running: "running"
        case .done(let results):
            switch results {
            case .success, .warnings, .skipped: "success"
            case .failure, .exception: "failed"
            case .cancelled: "canceled"
            case .retry: "pending"
            }
        }
    }

    /// GitLab answers 400 `Cannot transition status via :run from :running` when the status cannot take the
    /// state sent: it has it already (a report sent again after a master died) or is further along (a retried
    /// build's `pending` while the status says running). Sending it again would not change that, and the next
    /// moment's status moves it on, so it counts as delivered.
    static func isRepeatedState(_ reply: HTTPReply) -> Bool {
        reply.status == 400 && reply.body.contains("Cannot transition status")
    }
}
