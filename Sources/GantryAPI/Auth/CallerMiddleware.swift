import Foundation
import GantryModel
import GantryStorage
import Hummingbird
import HummingbirdAuth
import Logging

/// Finds who sent each request before any route runs, and turns away what no route should see:
///
/// - a bearer token (`Authorization: Bearer gtk_…`, for scripts and the CLI), or HTTP Basic with a configured
///   user's password: a wrong one is 401 at once, never read as anonymous;
/// - the web UI's session cookie (`gantry_session`), or a trusted reverse proxy's user and groups headers (only
///   from a configured proxy address; the headers from anyone else are ignored);
/// - otherwise anonymous, which may only read (or nothing, with `anonymous: none`).
///
/// A state-changing request authenticated by what a browser sends on its own (the cookie, the proxy's login)
/// must carry an `Origin` naming this master, so another site's page cannot make a logged-in browser act.
/// Failed tokens and passwords are rate limited per address and per user; none is ever logged.
struct CallerMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    /// The cookie holding a web session's secret.
    static let sessionCookie = "gantry_session"

    let access: AccessControl
    let database: Database
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let address = context.peerAddress
        guard let settings = access.settings else {
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
        if !Self.isPublic(request.uri.path), access.decide(.view, on: .any, for: caller) != .allowed {
            return Self.mustLogIn(request)
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
            if let bearer = request.headers.bearer {
                return try await token(bearer.token, address: address)
            }
            if let basic = request.headers.basic {
                return await password(basic, address: address, settings: settings)
            }
            if let secret = request.cookies[Self.sessionCookie]?.value, !secret.isEmpty,
                let session = try await database.webSessions.authenticate(
                    secret, lifetime: settings.sessionLifetime, now: Date()),
                let account = settings.users[session.user]
            {
                let groups = account.groups.union(session.groups)
                return .caller(
                    Caller(
                        user: account.name, roles: settings.roles(of: account.name, groups: groups), source: .session))
            }
            if let proxy = settings.proxy, let caller = Self.proxied(request, address: address, proxy, settings) {
                return .caller(caller)
            }
            return .caller(.anonymous)
        } catch {
            logger.error(
                "cannot check the request's credentials", metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"])
            return .refused(APIResponse.error(.serviceUnavailable, "credentials cannot be checked now; try again"))
        }
    }

    private func token(_ secret: String, address: String?) async throws -> Identification {
        if let wait = access.retryAfter(address: address, user: nil) { return .refused(Self.tooManyAttempts(wait)) }
        guard let token = try await database.tokens.authenticate(secret, now: Date()) else {
            access.recordFailure(address: address, user: nil)
            logger.warning("refused an unknown, expired or revoked API token", metadata: Self.from(address))
            return .refused(
                Self.unauthorized("the token is not valid: unknown, expired or revoked", challenge: "Bearer"))
        }
        return .caller(Caller(user: token.user, roles: Set(token.roles), source: .token))
    }

    private func password(
        _ basic: BasicAuthentication, address: String?, settings: AuthSettings
    ) async -> Identification {
        if let wait = access.retryAfter(address: address, user: basic.username) {
            return .refused(Self.tooManyAttempts(wait))
        }
        let account = settings.users[basic.username]
        guard await PasswordCheck.verify(basic.password, for: account), let account else {
            access.recordFailure(address: address, user: basic.username)
            logger.warning("refused a wrong user name or password", metadata: Self.from(address))
            return .refused(Self.unauthorized("wrong user name or password", challenge: #"Basic realm="gantry""#))
        }
        access.recordSuccess(user: account.name)
        return .caller(
            Caller(
                user: account.name, roles: settings.roles(of: account.name, groups: account.groups), source: .password))
    }

    /// The caller a trusted proxy names; `nil` when the peer is not one of the proxies or named no user.
    private static func proxied(
        _ request: Request, address: String?, _ proxy: ProxyAuthSettings, _ settings: AuthSettings
    ) -> Caller? {
        func header(_ name: String) -> String? {
            request.headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        guard let address, proxy.trustedProxies.contains(where: { $0.contains(address) }),
            let user = header(proxy.userHeader)?.trimmingCharacters(in: .whitespaces), !user.isEmpty
        else { return nil }
        var groups: Set<String> = []
        if let list = proxy.groupsHeader.flatMap(header) {
            groups = Set(
                list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let accountGroups = settings.users[user]?.groups ?? []
        return Caller(user: user, roles: settings.roles(of: user, groups: groups.union(accountGroups)), source: .proxy)
    }

    /// 403 for a state-changing request whose credentials a browser sends by itself (the session cookie, the
    /// proxy's login) without an `Origin` naming this master; for a password, only when it names another site.
    private func crossSiteRefusal(_ request: Request, caller: Caller) -> Response? {
        guard ![.get, .head, .options].contains(request.method) else { return nil }
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

    /// What stays reachable without the right to read: health and metrics for monitors, the login page and the
    /// assets it uses, who-am-I, and the change hooks (which check their own secrets).
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
