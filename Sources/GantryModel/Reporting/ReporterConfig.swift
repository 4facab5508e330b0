/// One configured reporter: where it reports, on what, and how fast.
public struct ReporterConfig: Sendable, Hashable {
    /// The kinds of reporter, each with its own settings.
    public enum Kind: Sendable, Hashable {
        /// GitHub commit statuses (or check runs).
        case github(CommitStatusSettings)
        /// GitLab commit statuses.
        case gitlab(CommitStatusSettings)
        /// Gitea and Forgejo commit statuses.
        case gitea(CommitStatusSettings)
        /// A JSON document of the build to any URL, signed with HMAC-SHA256.
        case http(HTTPPushSettings)
        /// Mail through an SMTP server.
        case mail(MailSettings)

        /// The name users write in `type:`.
        public var typeName: String {
            switch self {
            case .github: "github"
            case .gitlab: "gitlab"
            case .gitea: "gitea"
            case .http: "http"
            case .mail: "mail"
            }
        }
    }

    /// Unique among reporters; the reporter's progress in the database is kept under it.
    public var name: String
    public var kind: Kind
    public var filter: ReportFilter
    /// At most this many deliveries a minute (GitHub's secondary limits ask for 80 content-creating requests a
    /// minute); nil for no limit.
    public var maxPerMinute: Int?
    /// Attempts before a report that keeps failing is given up.
    public var maxAttempts: Int

    public init(
        name: String, kind: Kind, filter: ReportFilter = ReportFilter(), maxPerMinute: Int? = nil,
        maxAttempts: Int = 8
    ) {
        self.name = name
        self.kind = kind
        self.filter = filter
        self.maxPerMinute = maxPerMinute
        self.maxAttempts = maxAttempts
    }
}

/// Settings of the commit-status reporters (GitHub, GitLab, Gitea).
public struct CommitStatusSettings: Sendable, Hashable {
    /// The API's root: `https://api.github.com`, `https://gitlab.example.com`, `https://gitea.example.com`
    /// (`/api/v4` and `/api/v1` are added).
    public var baseURL: String
    /// The name of the secret holding the API token.
    public var tokenSecret: String
    /// The status's context (GitHub, Gitea) or name (GitLab); `{builder}` is replaced by the builder's name.
    public var context: String
    /// GitHub only: report check runs (a GitHub App's token) instead of commit statuses.
    public var checks: Bool

    public init(baseURL: String, tokenSecret: String, context: String = "gantry/{builder}", checks: Bool = false) {
        self.baseURL = baseURL
        self.tokenSecret = tokenSecret
        self.context = context
        self.checks = checks
    }
}

/// Settings of the generic HTTP push reporter.
public struct HTTPPushSettings: Sendable, Hashable {
    /// Where each report is POSTed.
    public var url: String
    /// The name of the secret the body is signed with (`X-Gantry-Signature-256: sha256=<hex>`); unsigned when nil.
    public var signingSecret: String?
    /// Extra headers sent with each request.
    public var headers: [String: String]

    public init(url: String, signingSecret: String? = nil, headers: [String: String] = [:]) {
        self.url = url
        self.signingSecret = signingSecret
        self.headers = headers
    }
}

/// Settings of the mail reporter.
public struct MailSettings: Sendable, Hashable {
    public var smtp: SMTPSettings
    /// The sender's address.
    public var from: String
    /// The recipients of every mail.
    public var to: [String]
    /// Which finished builds get a mail.
    public var modes: Set<MailMode>
    /// Put before every subject (`[CI] `).
    public var subjectPrefix: String

    public init(
        smtp: SMTPSettings, from: String, to: [String], modes: Set<MailMode> = MailMode.defaults,
        subjectPrefix: String = ""
    ) {
        self.smtp = smtp
        self.from = from
        self.to = to
        self.modes = modes
        self.subjectPrefix = subjectPrefix
    }
}

/// How the mail reporter reaches its SMTP server.
public struct SMTPSettings: Sendable, Hashable {
    /// How the connection is protected.
    public enum Security: String, Sendable, Hashable {
        /// Plain SMTP (a relay on this machine).
        case none
        /// Plain, upgraded by STARTTLS before anything else is said; refused if the server does not offer it.
        case startTLS = "starttls"
        /// TLS from the first byte (port 465).
        case tls
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// The user to log in as (AUTH PLAIN or LOGIN); no login when nil.
    public var user: String?
    /// The name of the secret holding the user's password.
    public var passwordSecret: String?
    /// A PEM file of the certificate authorities to trust instead of the system's (a private relay).
    public var caFile: String?

    public init(
        host: String, port: Int = 25, security: Security = .startTLS, user: String? = nil,
        passwordSecret: String? = nil, caFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.passwordSecret = passwordSecret
        self.caFile = caFile
    }
}
