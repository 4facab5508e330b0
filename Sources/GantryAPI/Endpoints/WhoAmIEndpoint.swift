import GantryModel
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/whoami`: the caller (`user`, `null` when anonymous), its `roles`, how it was recognised
    /// (`source`: token, session, password, proxy, anonymous, or open when the master has no authentication),
    /// whether the master has authentication (`auth`), and how far it may do each action (`permissions`:
    /// `all`, `some` builders, workers or schedulers, or `none`). Always public, so a page or script can ask
    /// before it logs in.
    func addWhoAmI(to router: Router<APIRequestContext>) {
        router.get("/api/v2/whoami") { [access] _, context -> Response in
            let caller = context.identity ?? .anonymous
            let permissions = Dictionary(
                uniqueKeysWithValues: AccessAction.allCases.map {
                    ($0.rawValue, JSONValue.string(access.reach($0, for: caller).rawValue))
                })
            return APIResponse.json(
                .ok,
                .object([
                    "user": caller.user.map(JSONValue.string) ?? .null,
                    "roles": .array(caller.roles.sorted().map(JSONValue.string)),
                    "source": .string(caller.source.rawValue),
                    "auth": .bool(access.settings != nil),
                    "permissions": .object(permissions),
                ]))
        }
    }
}
