import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let changeKeys: Set<String> = [
        "changeid", "author", "committer", "comments", "files", "properties", "revision", "revlink", "branch",
        "repository", "project", "codebase", "category", "when_timestamp", "sourcestamp", "parent_changeids",
    ]

    /// `GET /api/v2/changes` (filtered, ordered and paged in the database), `/api/v2/changes/{id}` and
    /// `/api/v2/builds/{id}/changes` (the changes of the source stamps the build built, with the options of
    /// `/changes`), each change with its source stamp, as in Buildbot.
    func addChanges(to router: Router<APIRequestContext>) {
        collection("/api/v2/changes", key: "changes", keys: Self.changeKeys, of: ChangeField.self, on: router) {
            [self] spec in
            let page = try await database.changes.getChanges(spec)
            return Page(items: try await changeItems(page.items), total: page.total)
        }
        resource(
            "/api/v2/changes/{id}", key: "changes", keys: Self.changeKeys, of: ChangeField.self, on: router,
            noun: "change"
        ) { [self] id in
            guard let id = Int(id), let change = try await database.changes.getChange(id) else { return nil }
            return try await changeItems([change]).first
        }
        nestedCollection(
            "/api/v2/builds/{id}/changes", key: "changes", keys: Self.changeKeys, of: ChangeField.self, on: router,
            noun: "build"
        ) { [self] id, spec in
            guard let id = Int(id), try await database.builds.getBuild(id) != nil else { return nil }
            let page = try await database.changes.getChanges(spec, buildid: id)
            return Page(items: try await changeItems(page.items), total: page.total)
        }
    }

    private func changeItems(_ changes: [Change]) async throws -> [JSONValue] {
        let stamps = Dictionary(
            uniqueKeysWithValues: try await database.sourceStamps.getSourceStamps(
                ids: Array(Set(changes.map(\.sourceStampID)))
            ).map { ($0.id, $0) })
        return changes.map { $0.resource(sourceStamp: stamps[$0.sourceStampID]) }
    }
}
