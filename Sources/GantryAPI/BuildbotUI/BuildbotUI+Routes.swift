import Foundation
import GantryModel
import HTTPTypes
import Hummingbird

extension BuildbotUI {
    /// Adds the UI's pages to `router`, behind its caller middleware (so a master with `anonymous: none` sends a
    /// stranger to its login page first):
    ///
    /// - `GET /buildbot/`: the UI's `index.html` with the configuration script in place of Buildbot's placeholder
    ///   (`/buildbot` and `/buildbot/index.html` redirect there: the UI forms its addresses from its page's);
    /// - `GET /buildbot/config`: the same configuration as JSON;
    /// - `GET /buildbot/auth/login` and `/buildbot/auth/logout`, where the UI's login and logout links lead:
    ///   Gantry's login page (then back), and a form that logs out;
    /// - any other `GET /buildbot/NAME`: the file NAME of the `static` folder.
    ///
    /// `/buildbot/api/v2/…` never reaches these routes (``MountedAPIResponder``), and `/buildbot/ws` reaches them
    /// only without an upgrade (426).
    func addRoutes(to router: Router<APIRequestContext>, api: HTTPAPI) {
        let ui = self
        let access = api.access
        let files = FileIO()
        router.get("/buildbot") { request, context -> Response in
            try await ui.answer(request, context: context, access: access, files: files)
        }
        router.get("/buildbot/**") { request, context -> Response in
            try await ui.answer(request, context: context, access: access, files: files)
        }
    }

    private func answer(
        _ request: Request, context: APIRequestContext, access: AccessControl, files: FileIO
    ) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix(Self.mountPath) else { return Self.notFound }
        switch path.dropFirst(Self.mountPath.count) {
        case "", "/index.html":
            return Response(status: .movedPermanently, headers: [.location: Self.mountPath + "/"])
        case "/":
            guard let html = indexHTML() else {
                return APIResponse.error(
                    .serviceUnavailable, "Buildbot's web UI cannot be read from its folder (index.html is missing)")
            }
            let page = frontendConfig(request, context: context, access: access).inject(into: html)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", Self.noSniff: "nosniff",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        case "/config":
            var response = APIResponse.json(.ok, frontendConfig(request, context: context, access: access).json)
            response.headers[.cacheControl] = "no-store"
            return response
        case "/ws":
            return Response(
                status: .upgradeRequired,
                headers: [.upgrade: "websocket", .contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "this address takes WebSocket connections only")))
        case "/auth/login":
            return Response(status: .seeOther, headers: [.location: Self.loginPath(request)])
        case "/auth/logout":
            return Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: Self.logoutPage)))
        case let rest:
            guard let name = BuildbotStaticPath(rest), let resolved = file(name) else { return Self.notFound }
            return Response(
                status: .ok,
                headers: [.contentType: name.contentType, .cacheControl: name.cacheControl, Self.noSniff: "nosniff"],
                body: try await files.loadFile(path: resolved, context: context))
        }
    }

    /// The configuration for the reader of `request`.
    func frontendConfig(
        _ request: Request, context: APIRequestContext, access: AccessControl
    ) -> BuildbotFrontendConfig {
        let addresses = BuildbotFrontendConfig.addresses(
            publicURL: publicURL, scheme: secure ? "https" : "http", authority: request.head.authority,
            mount: Self.mountPath)
        return BuildbotFrontendConfig(
            buildbotURL: addresses.buildbotURL, titleURL: addresses.titleURL, port: addresses.port,
            authenticates: access.settings != nil, caller: context.identity ?? .anonymous,
            version: Self.gantryVersion)
    }

    /// Gantry's login page, sending the reader back to the UI's page it came from (`redirect`, the UI's route).
    static func loginPath(_ request: Request) -> String {
        let route = request.uri.queryParameters["redirect"].map { String($0) }.flatMap { route in
            route.hasPrefix("/") && route.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }
                ? route : nil
        }
        return "/login?next=" + WebForm.escape(mountPath + "/#" + (route ?? "/"))
    }

    private static let noSniff = HTTPField.Name("X-Content-Type-Options")!

    private static var notFound: Response {
        Response(
            status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "no such file")))
    }

    /// Where the UI's logout link leads: logging out changes state, so it takes a form (Gantry's `POST /logout`).
    private static let logoutPage = """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Log out</title></head>
        <body>
        <form method="post" action="/logout">
        <p>Log out of this Gantry master?</p>
        <button type="submit">Log out</button>
        <a href="\(mountPath)/">Back</a>
        </form>
        </body>
        </html>
        """
}
