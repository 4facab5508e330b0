import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let sourceStampKeys: Set<String> = [
        "ssid", "branch", "revision", "repository", "codebase", "project", "patch", "created_at",
    ]

    /// `GET /api/v2/sourcestamps` (filtered, ordered and paged in the database) and `/api/v2/sourcestamps/{id}`.
    func addSourceStamps(to router: Router<APIRequestContext>) {
        collection(
            "/api/v2/sourcestamps", key: "sourcestamps", keys: Self.sourceStampKeys, of: SourceStampField.self,
            on: router
        ) { [database] spec in
            let page = try await database.sourceStamps.getSourceStamps(spec)
            return Page(items: page.items.map(\.resource), total: page.total)
        }
        resource(
            "/api/v2/sourcestamps/{id}", key: "sourcestamps", keys: Self.sourceStampKeys, of: SourceStampField.self,
            on: router, noun: "source stamp"
        ) { [database] id in
            guard let id = Int(id) else { return nil }
            return try await database.sourceStamps.getSourceStamp(id)?.resource
        }
    }
}
