import Foundation
import GantryModel
import GantryStorage
import Hummingbird
import HummingbirdAuth
import Logging

/// Finds who sent each request before any route runs, and turns away what no route should see:
///
/// - a trusted reverse proxy's user and groups headers, from a configured proxy address only (the same headers
///   from anyone else are ignored; sent twice, the request is refused, as a client's copy may precede the
///   proxy's);
/// - a bearer token (`Authorization: Bearer gtk_…`, for scripts and the CLI), or HTTP Basic with a configured
///   user's password: a wrong one, or an `Authorization` header of neither kind, is 401 at once, never read as
///   anonymous;
/// - the web UI's session cookie (`gantry_session`);
/// - otherwise anonymous, which may only read (or nothing, with `anonymous: none`).
///
/// A state-changing request authenticated by what a browser sends on its own (the cookie, the proxy's login)
/// must carry an `Origin` naming this master, so another site's page cannot make a logged-in browser act.
/// Without authentication the same holds for every browser, and a master that is not `insecure` answers only
/// requests for loopback names, so a page cannot reach it through a name it rebinds to 127.0.0.1.
/// Failed tokens and passwords are rate limited per address and per user; none is ever logged.
struct CallerMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    /// The cookie holding a web session's secret.
    static let sessionCookie = "gantry_session"
    /// How long a session may last from its login, however often it is used.
    static let maxSessionAge: TimeInterval = 7 * 24 * 3600

    let access: AccessControl
    let database: Database
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let address = context.peerAddress
        guard let settings = access.settings else {
            if let refusal = openRefusal(request) { return refusal }
            context.identity = .open
            return try await Requester.$current.withValue(Requester(caller: .open, address: address)) {
                try await next(request, context)
            }
        }
        let caller: Caller
        switch await identify(request, address: address, settings: settings) {
        case .caller(let found): caller = found
        case .refused(let response): return response
        }
        if let refusal = crossSiteRefusal(request, caller: caller) { return refusal }
        if !Self.isPublic(request.uri.path) {
            switch access.decide(.view, on: .any, for: caller) {
            case .allowed: break
            case .unauthenticated: return Self.mustLogIn(request)
            case .forbidden:
                return APIResponse.error(.forbidden, "'\(caller.user ?? "anonymous")' may not view this master")
            }
        }
        context.identity = caller
        return try await Requester.$current.withValue(Requester(caller: caller, address: address)) {
            try await next(request, context)
        }
    }

    private enum Identification {
        case caller(Caller)
        case refused(Response)
    }

    private func identify(_ request: Request, address: String?, settings: AuthSettings) async -> Identification {
        do {
            if let proxy = settings.proxy, let address, proxy.trusts(address), request.header(proxy.userHeader) != nil {
                return Self.proxied(request, proxy, settings)
            }
            if request.headers[.authorization] != nil {
                if let bearer = request.headers.bearer {
                    return try await token(bearer.token, address: address)
                }
                if let basic = request.headers.basic {
                    return await password(basic, address: address, settings: settings)
                }
                return .refused(
                    Self.unauthorized("the Authorization header must be 'Bearer TOKEN' or 'Basic'", challenge: "Bearer")
                )
            }
            let now = Date()
            if let secret = request.cookies[Self.sessionCookie]?.value, !secret.isEmpty,
                let session = try await database.webSessions.authenticate(
                    secret, lifetime: settings.sessionLifetime, now: now),
                now.timeIntervalSince(session.createdAt) < Self.maxSessionAge,
                let account = settings.users[session.user], session.credential == PasswordCheck.fingerprint(account)
            {
                return .caller(settings.caller(account.name, groups: account.groups, source: .session))
            }
            return .caller(.anonymous)
        } catch {
            logger.error(
                "cannot check the request's credentials", metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"])
            return .refused(APIResponse.error(.serviceUnavailable, "credentials cannot be checked now; try again"))
        }
    }

    /// A right token passes whatever came before from the same address (it cannot be guessed); a wrong one counts
    /// against the address, and once the address has failed too often it is told to wait.
    private func token(_ secret: String, address: String?) async throws -> Identification {
        if let token = try await database.tokens.authenticate(secret, now: Date()) {
            return .caller(Caller(user: token.user, roles: Set(token.roles), source: .token))
        }
        if let wait = access.retryAfter(address: address, user: nil) { return .refused(Self.tooManyAttempts(wait)) }
        access.recordFailure(address: address, user: nil)
        logger.warning("refused an unknown, expired or revoked API token", metadata: Self.from(address))
        return .refused(Self.unauthorized("the token is not valid: unknown, expired or revoked", challenge: "Bearer"))
    }

    private func password(
        _ basic: BasicAuthentication, address: String?, settings: AuthSettings
    ) async -> Identification {
        switch await access.checkPassword(basic.password, user: basic.username, address: address, in: settings) {
        case .limited(let wait):
            return .refused(Self.tooManyAttempts(wait))
        case .wrong:
            logger.warning("refused a wrong user name or password", metadata: Self.from(address))
            return .refused(Self.unauthorized("wrong user name or password", challenge: #"Basic realm="gantry""#))
        case .accepted(let account):
            return .caller(settings.caller(account.name, groups: account.groups, source: .password))
        }
    }

    /// The caller a trusted proxy names, with the groups it sends besides the account's own; 400 when either
    /// header comes twice.
    private static func proxied(_ request: Request, _ proxy: ProxyAuthSettings, _ settings: AuthSettings)
        -> Identification
    {
        let users = request.headerValues(proxy.userHeader)
        let groupLists = proxy.groupsHeader.map { request.headerValues($0) } ?? []
        guard users.count == 1, groupLists.count <= 1 else {
            return .refused(APIResponse.error(.badRequest, "the proxy's user and groups headers must come once each"))
        }
        let user = users[0].trimmingCharacters(in: .whitespaces)
        guard !user.isEmpty else { return .caller(.anonymous) }
        let groups = Set(
            (groupLists.first ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty })
        let accountGroups = settings.users[user]?.groups ?? []
        return .caller(settings.caller(user, groups: groups.union(accountGroups), source: .proxy))
    }

    /// 403 for a state-changing request whose credentials a browser sends by itself (the session cookie, the
    /// proxy's login) without an `Origin` naming this master; for a password or token, only when it names another
    /// site.
    private func crossSiteRefusal(_ request: Request, caller: Caller) -> Response? {
        guard Self.changesState(request) else { return nil }
        let origin = request.headers[.origin]
        let refused: Bool =
            switch caller.source {
            case .session, .proxy: origin.map { !SameOrigin.matches($0, request) } ?? true
            default: origin.map { !SameOrigin.matches($0, request) } ?? false
            }
        guard refused else { return nil }
        return APIResponse.error(
            .forbidden, "a request made with the browser's login must come from this master's own pages (Origin)")
    }

    /// What a master without authentication refuses: a request for a name that is not this machine's (unless
    /// `insecure`), and a state-changing request another site's page made a browser send.
    private func openRefusal(_ request: Request) -> Response? {
        if !access.insecure, let authority = request.head.authority,
            !AddressRange.isLoopback(Self.host(of: authority))
        {
            return APIResponse.error(
                .misdirectedRequest,
                "this master has no authentication and answers only requests for localhost or 127.0.0.1")
        }
        guard Self.changesState(request) else { return nil }
        let site = request.header("sec-fetch-site")
        let crossSite =
            site.map { $0 != "same-origin" && $0 != "none" }
            ?? request.headers[.origin].map { !SameOrigin.matches($0, request) } ?? false
        guard crossSite else { return nil }
        return APIResponse.error(.forbidden, "a request from another site's page is refused")
    }

    private static func changesState(_ request: Request) -> Bool {
        ![.get, .head, .options].contains(request.method)
    }

    /// `host` of `host:port`, `[v6]:port`, or a name alone.
    static func host(of authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<end])
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon {
            return String(authority[..<colon])
        }
        return authority
    }

    /// What stays reachable without the right to read: health and metrics for monitors, the login page and the
    /// assets it uses, who-am-I, and the change hooks (which decide for themselves: a signed hook checks its
    /// secret, the unsigned `base` hook the `change` rule).
    static func isPublic(_ path: String) -> Bool {
        ["/healthz", "/metrics", "/login", "/logout", "/api/v2/whoami"].contains(path)
            || path.hasPrefix("/assets/") || path.hasPrefix("/change_hook/")
    }

    /// 401: JSON for the API, the login page (then back) for the web UI.
    private static func mustLogIn(_ request: Request) -> Response {
        let path = request.uri.path
        if path.hasPrefix("/api/") {
            return unauthorized("log in, or send a token (Authorization: Bearer)", challenge: "Bearer")
        }
        let next = WebForm.escape(request.uri.string)
        return Response(status: .seeOther, headers: [.location: "/login?next=\(next)"])
    }

    private static func unauthorized(_ message: String, challenge: String) -> Response {
        var response = APIResponse.error(.unauthorized, message)
        response.headers[.wwwAuthenticate] = challenge
        return response
    }

    static func tooManyAttempts(_ wait: Duration) -> Response {
        var response = APIResponse.error(.tooManyRequests, "too many failed attempts; try again later")
        response.headers[.retryAfter] = String(max(1, wait.components.seconds))
        return response
    }

    private static func from(_ address: String?) -> Logger.Metadata {
        [LogKey.httpClient: "\(address ?? "unknown")"]
    }
}
