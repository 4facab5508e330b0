import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let buildsetKeys: Set<String> = [
        "bsid", "external_idstring", "reason", "submitted_at", "complete", "complete_at", "results", "scheduler",
        "sourcestamps", "properties",
    ]
    static let buildRequestKeys: Set<String> = [
        "buildrequestid", "buildsetid", "builderid", "priority", "complete", "results", "submitted_at",
        "complete_at", "waited_for", "claimed", "claimed_by_masterid",
    ]

    /// `GET /api/v2/buildsets`, `/buildsets/{id}`, `/buildrequests` and `/buildrequests/{id}`, filtered, ordered
    /// and paged in the database.
    func addBuildsets(to router: Router<APIRequestContext>) {
        collection("/api/v2/buildsets", key: "buildsets", keys: Self.buildsetKeys, of: BuildsetField.self, on: router) {
            [self] spec in
            let page = try await database.buildsets.getBuildsets(spec)
            return Page(items: try await buildsetItems(page.items), total: page.total)
        }
        resource(
            "/api/v2/buildsets/{id}", key: "buildsets", keys: Self.buildsetKeys, of: BuildsetField.self, on: router,
            noun: "buildset"
        ) { [self] id in
            guard let id = Int(id), let buildset = try await database.buildsets.getBuildset(id) else { return nil }
            return try await buildsetItems([buildset]).first
        }
        collection(
            "/api/v2/buildrequests", key: "buildrequests", keys: Self.buildRequestKeys, of: BuildRequestField.self,
            on: router
        ) { [database] spec in
            let page = try await database.buildRequests.getBuildRequests(spec)
            return Page(items: page.items.map(\.resource), total: page.total)
        }
        resource(
            "/api/v2/buildrequests/{id}", key: "buildrequests", keys: Self.buildRequestKeys,
            of: BuildRequestField.self, on: router, noun: "build request"
        ) { [database] id in
            guard let id = Int(id) else { return nil }
            return try await database.buildRequests.getBuildRequest(id).map(\.resource)
        }
    }

    private func buildsetItems(_ buildsets: [Buildset]) async throws -> [JSONValue] {
        let stamps = Dictionary(
            uniqueKeysWithValues: try await database.sourceStamps.getSourceStamps(
                ids: Array(Set(buildsets.flatMap(\.sourceStampIDs)))
            ).map { ($0.id, $0) })
        let schedulers = Dictionary(
            uniqueKeysWithValues: try await database.schedulers.getSchedulers().map { ($0.id, $0.name) })
        return buildsets.map { $0.resource(sourceStamps: stamps, schedulerNames: schedulers) }
    }
}
