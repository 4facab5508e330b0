public import GantryModel

/// One configured reporter: renders the reports a subject calls for, and sends one stored report.
///
/// Rendering is pure and happens when the reporter service meets the event, so what is stored in the outbox is
/// exactly what is sent; sending adds the secrets (tokens, passwords, signing keys), which never reach the
/// database.
public protocol Reporter: Sendable {
    var config: ReporterConfig { get }
    /// Whether sending a report twice leaves the target as sending it once (a commit status is replaced, an HTTP
    /// push carries its delivery id). Only such reporters' reports are sent again when a master died while
    /// sending them; a mail in flight then is marked interrupted instead.
    var isIdempotent: Bool { get }
    /// Whether subjects must carry the failing steps, their log tails and the previous build's results (mail);
    /// reading them costs queries the others do not need.
    var needsDetails: Bool { get }

    /// The reports `subject` calls for; the service has already applied the configured filter. Empty when the
    /// reporter says nothing about this moment (a mail for a build that started).
    func reports(for subject: ReportSubject) -> [Report]

    /// Sends one stored report; `deliveryID` is the outbox row's id, unique for the report whichever master
    /// sends it.
    func deliver(_ payload: JSONValue, deliveryID: Int) async -> DeliveryOutcome
}
