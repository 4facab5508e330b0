/// Why an SMTP conversation ended before the server took the mail. None carries what was sent: a password
/// cannot reach a reason.
enum SMTPFailure: Error, Sendable, Equatable {
    /// The server answered `step` with a code the conversation does not go on from.
    case refused(SMTPReply, step: String)
    /// No whole reply to `step` within the timeout.
    case noReply(step: String, after: Duration)
    /// The server closed the connection while `step` waited for its reply.
    case closed(step: String)
    /// A reply line that is not SMTP, or a reply longer than ``SMTPReplyDecoder/maxReplyBytes``.
    case malformedReply
    /// TLS cannot be set up from the settings (an unreadable CA file).
    case tlsSetup(String)
    /// `security: starttls` and the server does not offer STARTTLS.
    case startTLSNotOffered
    /// More came after the server's 220 to STARTTLS. It came in plain text, where anyone on the way could have
    /// put it to be read as the server's answers over TLS (CVE-2011-0411), so the connection ends before TLS.
    case dataAfterStartTLS
    /// A login asked for over plain SMTP to another machine, where anyone on the way would read the password.
    case unprotectedLogin
    /// A login asked for, and the server offers neither PLAIN nor LOGIN.
    case noLoginMechanism(offered: [String])
    /// An address a command line or header could be split on.
    case invalidAddress(String)
    /// The whole mail went out and its confirmation did not come back (`reason`): it may have arrived.
    case unconfirmed(reason: String)

    /// How the delivery went, for the outbox: what may work later (the network, a busy server's 4xx) is
    /// retried; what will not (a 5xx, a server that cannot be used safely) fails at once. A mail that may have
    /// arrived is not sent again, so no one gets it twice.
    /// - Parameter server: `host:port`, named in each reason.
    func outcome(server: String) -> DeliveryOutcome {
        switch self {
        case .refused(let reply, let step):
            let reason = "\(server) refused \(step): \(reply.summary)"
            switch reply.code {
            case 400..<500: return .retry(reason: reason)
            case 500..<600: return .failed(reason: reason)
            default: return .retry(reason: "\(server) answered \(step) unexpectedly: \(reply.summary)")
            }
        case .noReply(let step, let after):
            return .retry(reason: "no reply from \(server) to \(step) within \(after)")
        case .closed(let step):
            return .retry(reason: "\(server) closed the connection during \(step)")
        case .malformedReply:
            return .retry(reason: "\(server) does not answer as an SMTP server does")
        case .tlsSetup(let problem):
            return .failed(reason: "cannot set up TLS for \(server): \(problem)")
        case .startTLSNotOffered:
            return .failed(reason: "\(server) does not offer STARTTLS, which the reporter's security requires")
        case .dataAfterStartTLS:
            return .retry(
                reason: "\(server) sent data after agreeing to STARTTLS, which someone on the way may have injected;"
                    + " the connection was dropped before TLS")
        case .unprotectedLogin:
            return .failed(
                reason:
                    "will not send the password to \(server) without TLS (security is none and it is another machine)")
        case .noLoginMechanism(let offered):
            guard !offered.isEmpty else { return .failed(reason: "\(server) offers no login (AUTH)") }
            return .failed(
                reason:
                    "\(server) offers no login Gantry speaks (PLAIN or LOGIN), only \(offered.joined(separator: " "))")
        case .invalidAddress(let address):
            return .failed(reason: "'\(address)' is not a mail address")
        case .unconfirmed(let reason):
            return .failed(
                reason: "the mail was sent but \(server) did not confirm it (\(reason)); not sent again, so that"
                    + " no one gets it twice")
        }
    }
}
