import GantryModel

/// A change hook this master serves. It takes a request in steps, so that a sender without the hook's secret
/// costs no body: the headers before any of the body is read, then the body as it arrives, then its changes.
enum ChangeHook: Sendable {
    case base
    case github(GitHubHook)
    case gitlab(GitLabHook)

    /// What the headers let in.
    struct Admission: Sendable {
        /// Whether the sender proved it holds the secret; other bodies count against the cap on unverified ones.
        var isVerified: Bool
        /// The signature the body must match, fed the body as it arrives.
        var signature: SignatureCheck?
    }

    /// - Throws: 400 when this master serves no hook for `dialect`.
    init(dialect: String, config: ChangeHookSettings) throws(ChangeHookRefusal) {
        switch dialect {
        case "base" where config.base:
            self = .base
        case "github" where config.github != nil:
            self = .github(GitHubHook(secret: config.github?.secret))
        case "gitlab" where config.gitlab != nil:
            self = .gitlab(GitLabHook(secret: config.gitlab?.secret))
        default:
            throw .badRequest("no change hook '\(dialect)' is configured on this master")
        }
    }

    /// Checks what the headers alone tell, before any of the body is read.
    func admit(header: (String) -> String?) throws(ChangeHookRefusal) -> Admission {
        switch self {
        case .base:
            return Admission(isVerified: false)
        case .github(let hook):
            let signature = try hook.admit(event: header("X-GitHub-Event"), signature: header("X-Hub-Signature-256"))
            return Admission(isVerified: false, signature: signature)
        case .gitlab(let hook):
            try hook.admit(token: header("X-Gitlab-Token"))
            return Admission(isVerified: hook.secret != nil)
        }
    }

    /// The changes a complete body describes; `signature` is the admission's, fed the whole body.
    func changes(
        body: [UInt8],
        signature: SignatureCheck?,
        header: (String) -> String?
    ) throws(ChangeHookRefusal) -> [NewChange] {
        switch self {
        case .base:
            return try BaseHook.changes(body: body, contentType: header("Content-Type"))
        case .github(let hook):
            return try hook.changes(event: header("X-GitHub-Event"), body: body, check: signature)
        case .gitlab(let hook):
            return try hook.changes(event: header("X-Gitlab-Event"), body: body)
        }
    }
}
