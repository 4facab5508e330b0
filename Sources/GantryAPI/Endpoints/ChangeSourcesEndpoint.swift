import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let changeSourceKeys: Set<String> = ["changesourceid", "name", "master"]

    /// `GET /api/v2/changesources` and `/api/v2/changesources/{id}`: the change sources of the cluster (its git
    /// pollers), each with the master that runs it (`null` when unclaimed), as in Buildbot.
    func addChangeSources(to router: Router<APIRequestContext>) {
        collection(
            "/api/v2/changesources", key: "changesources", keys: Self.changeSourceKeys, of: ChangeSourceField.self,
            on: router
        ) { [self] spec in
            let page = spec.select(from: try await database.changeSources.getChangeSources()) { $1.value(of: $0) }
            return Page(items: try await changeSourceItems(page.items), total: page.total)
        }
        resource(
            "/api/v2/changesources/{id}", key: "changesources", keys: Self.changeSourceKeys,
            of: ChangeSourceField.self, on: router, noun: "change source"
        ) { [self] id in
            guard let id = Int(id), let changeSource = try await database.changeSources.getChangeSource(id) else {
                return nil
            }
            return try await changeSourceItems([changeSource]).first
        }
    }

    private func changeSourceItems(_ changeSources: [ChangeSourceInfo]) async throws -> [JSONValue] {
        let masters = Dictionary(
            uniqueKeysWithValues: try await database.masters.getMasters().items.map { ($0.id, $0) })
        return changeSources.map { $0.resource(master: $0.masterID.flatMap { masters[$0] }) }
    }
}
