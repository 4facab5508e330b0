import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let masterKeys: Set<String> = ["masterid", "name", "active", "last_active"]

    /// `GET /api/v2/masters` and `/api/v2/masters/{id}`: filtered, ordered and paged in the database.
    func addMasters(to router: Router<APIRequestContext>) {
        collection("/api/v2/masters", key: "masters", keys: Self.masterKeys, of: MasterField.self, on: router) {
            [database] spec in
            let page = try await database.masters.getMasters(spec)
            return Page(items: page.items.map(\.resource), total: page.total)
        }
        resource(
            "/api/v2/masters/{id}", key: "masters", keys: Self.masterKeys, of: MasterField.self, on: router,
            noun: "master"
        ) { [database] id in
            guard let id = Int(id) else { return nil }
            return try await database.masters.getMaster(id).map(\.resource)
        }
    }
}
