import GantryConfig
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// The largest webhook body read; GitHub caps its payloads at 25 MB.
    static let maxHookBody = 25 * 1024 * 1024

    /// `POST /change_hook/{dialect}` for the configured dialects: every change the request describes is
    /// stored in one transaction (and announced as `changes/new`), or, for a refused request, none.
    func addChangeHooks(to router: Router<BasicRequestContext>) {
        router.post("/change_hook/{dialect}") { request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let dialect = context.parameters.get("dialect") ?? ""
                let body = Array(buffer: try await request.body.collect(upTo: Self.maxHookBody))
                let changes: [NewChange]
                do throws(ChangeHookRefusal) {
                    changes = try parse(dialect, request: request, body: body)
                } catch {
                    logger.warning(
                        "change hook refused",
                        metadata: ["gantry.hook": "\(dialect)", "gantry.reason": "\(error.message)"])
                    return APIResponse.error(error.kind == .forbidden ? .forbidden : .badRequest, error.message)
                }
                let ids = try await database.changes.addChanges(changes)
                return APIResponse.json(.ok, .object(["changes": .array(ids.map { .number(Double($0)) })]))
            }
        }
    }

    private func parse(_ dialect: String, request: Request, body: [UInt8]) throws(ChangeHookRefusal) -> [NewChange] {
        let header = { (name: String) in
            request.headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        switch dialect {
        case "base" where changeHooks.base:
            return try BaseHook.changes(body: body, contentType: header("Content-Type"))
        case "github":
            guard let settings = changeHooks.github else { break }
            return try GitHubHook(secret: settings.secret).changes(
                event: header("X-GitHub-Event"), signature: header("X-Hub-Signature-256"), body: body)
        case "gitlab":
            guard let settings = changeHooks.gitlab else { break }
            return try GitLabHook(secret: settings.secret).changes(
                event: header("X-Gitlab-Event"), token: header("X-Gitlab-Token"), body: body)
        default:
            break
        }
        throw .badRequest("no change hook '\(dialect)' is configured on this master")
    }
}
