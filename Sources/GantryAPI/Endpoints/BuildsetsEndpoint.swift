import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let buildsetKeys: Set<String> = [
        "bsid", "external_idstring", "reason", "submitted_at", "complete", "complete_at", "results", "scheduler",
        "sourcestamps", "properties", "parent_buildid", "parent_relationship", "rebuilt_buildid",
    ]
    static let buildRequestKeys: Set<String> = [
        "buildrequestid", "buildsetid", "builderid", "priority", "complete", "results", "submitted_at",
        "complete_at", "waited_for", "claimed", "claimed_at", "claimed_by_masterid", "collapsed_into",
        "properties",
    ]

    /// `GET /api/v2/buildsets`, `/buildsets/{id}`, `/buildrequests` and `/buildrequests/{id}`, filtered, ordered
    /// and paged in the database, with `property=` (a request's properties are its buildset's); and
    /// `/buildsets/{id}/properties`.
    func addBuildsets(to router: Router<APIRequestContext>) {
        propertiesCollection(
            "/api/v2/buildsets", key: "buildsets", keys: Self.buildsetKeys, of: BuildsetField.self, on: router,
            noun: ""
        ) { [self] _, spec, properties in
            let page = try await database.buildsets.getBuildsets(spec)
            return Page(items: try await buildsetItems(page.items, properties), total: page.total)
        }
        propertiesCollection(
            "/api/v2/buildsets/{id}", key: "buildsets", keys: Self.buildsetKeys, of: BuildsetField.self, on: router,
            noun: "buildset"
        ) { [self] id, _, properties in
            guard let id = Int(id), let buildset = try await database.buildsets.getBuildset(id) else { return nil }
            return Page(items: try await buildsetItems([buildset], properties), total: 1)
        }
        propertiesResource("/api/v2/buildsets/{id}/properties", on: router, noun: "buildset") { [database] id in
            guard let id = Int(id) else { return nil }
            return try await database.buildsets.getBuildset(id)?.properties
        }
        propertiesCollection(
            "/api/v2/buildrequests", key: "buildrequests", keys: Self.buildRequestKeys, of: BuildRequestField.self,
            on: router, noun: ""
        ) { [database] _, spec, properties in
            let page = try await database.buildRequests.getBuildRequests(spec)
            return Page(items: try await Self.buildRequestItems(page.items, properties, database), total: page.total)
        }
        propertiesCollection(
            "/api/v2/buildrequests/{id}", key: "buildrequests", keys: Self.buildRequestKeys,
            of: BuildRequestField.self, on: router, noun: "build request"
        ) { [database] id, _, properties in
            guard let id = Int(id), let request = try await database.buildRequests.getBuildRequest(id) else {
                return nil
            }
            return Page(items: try await Self.buildRequestItems([request], properties, database), total: 1)
        }
    }

    /// The resources of `requests`, each with the properties asked for (their buildsets', all read at once), if
    /// any were.
    static func buildRequestItems(
        _ requests: [BuildRequest], _ selection: PropertySelection?, _ database: Database
    ) async throws -> [JSONValue] {
        guard let selection else { return requests.map(\.resource) }
        let properties = try await database.buildsets.getBuildsetProperties(
            bsids: requests.map(\.buildsetID), selecting: selection)
        return requests.map { adding(properties: properties[$0.buildsetID] ?? [:], to: $0.resource) }
    }

    /// The resources of `buildsets`; their `properties` only those asked for, when some were.
    private func buildsetItems(_ buildsets: [Buildset], _ selection: PropertySelection?) async throws
        -> [JSONValue]
    {
        let stamps = Dictionary(
            uniqueKeysWithValues: try await database.sourceStamps.getSourceStamps(
                ids: Array(Set(buildsets.flatMap(\.sourceStampIDs)))
            ).map { ($0.id, $0) })
        let schedulers = Dictionary(
            uniqueKeysWithValues: try await database.schedulers.getSchedulers().map { ($0.id, $0.name) })
        return buildsets.map { buildset in
            let resource = buildset.resource(sourceStamps: stamps, schedulerNames: schedulers)
            guard let selection else { return resource }
            return Self.adding(properties: selection.filter(buildset.properties), to: resource)
        }
    }
}
