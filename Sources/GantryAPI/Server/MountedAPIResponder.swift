import Hummingbird

/// The router, reached also through a page served under a mount path: Buildbot's web UI, served at
/// ``BuildbotUI/mountPath``, asks for its data API relative to its page (`/buildbot/api/v2/builds`), and those
/// requests are answered as the same request to `/api/v2/builds`, by the same routes and access rules.
///
/// The rewrite happens before routing, so nothing else needs to know the UI's mount path.
struct MountedAPIResponder: HTTPResponder {
    typealias Context = APIRequestContext

    let router: RouterResponder<APIRequestContext>
    /// The path under which `/api/v2` is reached too; `nil` for none.
    let mount: String?

    func respond(to request: Request, context: Context) async throws -> Response {
        guard let mount, let path = request.head.path, let rewritten = Self.apiPath(path, under: mount) else {
            return try await router.respond(to: request, context: context)
        }
        var head = request.head
        head.path = rewritten
        return try await router.respond(to: Request(head: head, body: request.body), context: context)
    }

    /// `path` (with its query) without `mount` in front, when what follows the mount is the data API
    /// (`/buildbot/api/v2/builds?limit=1` → `/api/v2/builds?limit=1`); `nil` for any other path.
    static func apiPath(_ path: String, under mount: String) -> String? {
        guard path.hasPrefix(mount) else { return nil }
        let rest = path.dropFirst(mount.count)
        let api = "/api/v2"
        guard rest.hasPrefix(api) else { return nil }
        let after = rest.dropFirst(api.count)
        guard after.isEmpty || after.hasPrefix("/") || after.hasPrefix("?") else { return nil }
        return String(rest)
    }
}
