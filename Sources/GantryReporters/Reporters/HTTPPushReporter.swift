import Crypto
import Foundation
public import GantryModel

/// POSTs a JSON document of the build to a URL when it starts, finishes or is cancelled, as Buildbot's
/// `HttpStatusPush`; signed, when a secret is configured, like GitHub's webhooks: `X-Gantry-Signature-256:
/// sha256=<hex HMAC-SHA256 of the body>`.
public struct HTTPPushReporter: Reporter {
    public let config: ReporterConfig
    /// Every request carries `X-Gantry-Delivery`, the same for each attempt at one report, so a receiver can
    /// drop the one repeat a master dying mid-delivery may cause.
    public var isIdempotent: Bool { true }
    public var needsDetails: Bool { false }

    private let settings: HTTPPushSettings
    private let links: ReportLinks
    private let secrets: SecretStore
    private let transport: HTTPTransport

    public init(
        config: ReporterConfig, settings: HTTPPushSettings, links: ReportLinks, secrets: SecretStore,
        transport: HTTPTransport
    ) {
        self.config = config
        self.settings = settings
        self.links = links
        self.secrets = secrets
        self.transport = transport
    }

    /// One report per started, finished or cancelled request, each its own target: every one is sent, none
    /// replaces another.
    public func reports(for subject: ReportSubject) -> [Report] {
        guard subject.moment != .requested else { return [] }
        let request = HTTPReport(path: "", body: document(subject))
        return [Report(target: "event \(subject.eventID)", payload: request.payload)]
    }

    public func deliver(_ payload: JSONValue, deliveryID: Int) async -> DeliveryOutcome {
        var key: SymmetricKey?
        if let name = settings.signingSecret {
            guard let secret = secrets.value(name) else { return .missingSecret(name) }
            key = SymmetricKey(data: Array(secret.utf8))
        }
        return await HTTPReport.send(payload, base: settings.url, via: transport) { request, body in
            // The configured headers first, so none of them can replace the event, the delivery or the signature.
            var headers = settings.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            headers.append(("X-Gantry-Event", request.body["event"]?.string ?? ""))
            headers.append(("X-Gantry-Delivery", "\(deliveryID)"))
            if let key {
                let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: key)
                headers.append(("X-Gantry-Signature-256", "sha256=" + mac.map { String(format: "%02x", $0) }.joined()))
            }
            return headers
        }
    }

    /// The document sent: the event, the builder, the build (null for a request cancelled before a build),
    /// the request and its buildset, the source stamps and the reason; times in seconds since 1970.
    func document(_ subject: ReportSubject) -> JSONValue {
        let build: JSONValue =
            if let built = subject.build {
                [
                    "id": number(built.id),
                    "number": number(built.number),
                    "results": built.results.map { number($0.rawValue) } ?? .null,
                    "results_text": built.results.map { JSONValue.string($0.name) } ?? .null,
                    "state_string": .string(built.stateString),
                    "started_at": seconds(built.startedAt),
                    "complete_at": built.completeAt.map(seconds) ?? .null,
                    "url": .string(links.page(of: subject)),
                ]
            } else {
                .null
            }
        return [
            "event": .string(subject.moment.rawValue),
            "builder": [
                "id": number(subject.builder.id),
                "name": .string(subject.builder.name),
                "tags": .array(subject.builder.tags.map(JSONValue.string)),
            ],
            "build": build,
            "buildrequestid": number(subject.buildRequestID),
            "buildsetid": number(subject.buildsetID),
            "sourcestamps": .array(
                subject.sourceStamps.map { stamp in
                    [
                        "repository": .string(stamp.repository),
                        "branch": stamp.branch.map(JSONValue.string) ?? .null,
                        "revision": stamp.revision.map(JSONValue.string) ?? .null,
                        "project": .string(stamp.project),
                        "codebase": .string(stamp.codebase),
                    ]
                }),
            "reason": .string(subject.reason),
        ]
    }

    private func number(_ value: Int) -> JSONValue {
        .number(Double(value))
    }

    private func seconds(_ date: Date) -> JSONValue {
        .number(date.timeIntervalSince1970.rounded(.down))
    }
}
