import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// `GET /login` (`?next=PATH`): the login form. `POST /login` (`user`, `password`, `next`): checks the password
    /// of a configured user (rate limited per address and per user), opens a session in the database, so every
    /// master of the cluster accepts its cookie, and answers 303 to `next`; a wrong password shows the form again
    /// (401). `POST /logout` ends the session in the database (the cookie is then worth nothing anywhere) and
    /// goes home.
    func addLoginPages(to router: Router<APIRequestContext>) {
        router.get("/login") { [self] request, _ -> Response in
            await rendering {
                guard access.settings != nil else {
                    return messagePage(.notFound, "This master has no authentication: everyone may use it.")
                }
                return loginPage(next: WebForm(query: request).next, error: nil, status: .ok)
            }
        }
        router.post("/login") { [self] request, context -> Response in
            await rendering {
                let form = try await WebForm.read(request)
                guard let settings = access.settings else {
                    return messagePage(.notFound, "This master has no authentication: everyone may use it.")
                }
                let address = context.peerAddress
                let account: UserAccount
                switch await access.checkPassword(
                    form["password"] ?? "", user: form.text("user") ?? "", address: address, in: settings)
                {
                case .limited(let wait):
                    var response = loginPage(
                        next: form.next, error: "Too many failed attempts; try again later.", status: .tooManyRequests)
                    response.headers[.retryAfter] = String(max(1, wait.components.seconds))
                    return response
                case .wrong:
                    logger.warning("refused a web login", metadata: [LogKey.httpClient: "\(address ?? "unknown")"])
                    return loginPage(next: form.next, error: "Wrong user name or password.", status: .unauthorized)
                case .accepted(let accepted):
                    account = accepted
                }
                let now = Date()
                // Sessions are only made here, so clearing the expired ones here keeps the table as small as the
                // logins of one lifetime.
                try await database.webSessions.deleteExpired(now: now)
                let (_, secret) = try await database.webSessions.create(
                    user: account.name, credential: PasswordCheck.fingerprint(account),
                    lifetime: settings.sessionLifetime, address: address, now: now)
                var response = seeOther(form.next ?? "/")
                response.setCookie(sessionCookie(secret))
                return response
            }
        }
        router.post("/logout") { [self] request, _ -> Response in
            await rendering {
                _ = try await WebForm.read(request)
                if let secret = request.cookies[CallerMiddleware.sessionCookie]?.value, !secret.isEmpty {
                    _ = try await database.webSessions.revoke(secret: secret)
                }
                var response = seeOther("/")
                response.setCookie(sessionCookie("", delete: true))
                return response
            }
        }
    }

    private func loginPage(next: String?, error: String?, status: HTTPResponse.Status) -> Response {
        page(
            "login", title: "Log in", section: "", feed: [], status: status,
            Self.context(["next": next, "error": error]))
    }

    /// The session cookie: never readable by scripts, sent on top-level navigation from other sites but not with
    /// their forms or requests (SameSite=Lax), only over TLS when the master serves TLS. It lasts as long as the
    /// browser runs (`maxAge` only to delete it); how long the session lives is the database's expiry, which
    /// slides with use.
    private func sessionCookie(_ secret: String, delete: Bool = false) -> Cookie {
        Cookie(
            name: CallerMiddleware.sessionCookie, value: secret, maxAge: delete ? 0 : nil, path: "/",
            secure: secureCookies, httpOnly: true, sameSite: .lax)
    }
}
