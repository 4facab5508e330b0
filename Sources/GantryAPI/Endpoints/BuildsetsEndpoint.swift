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
    func addBuildsets(to router: Router<BasicRequestContext>) {
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
            return Page(items: page.items.map(Self.buildRequestItem), total: page.total)
        }
        resource(
            "/api/v2/buildrequests/{id}", key: "buildrequests", keys: Self.buildRequestKeys,
            of: BuildRequestField.self, on: router, noun: "build request"
        ) { [database] id in
            guard let id = Int(id) else { return nil }
            return try await database.buildRequests.getBuildRequest(id).map(Self.buildRequestItem)
        }
    }

    private func buildsetItems(_ buildsets: [Buildset]) async throws -> [JSONValue] {
        let stamps = Dictionary(
            uniqueKeysWithValues: try await database.sourceStamps.getSourceStamps(
                ids: Array(Set(buildsets.flatMap(\.sourceStampIDs)))
            ).map { ($0.id, $0) })
        let schedulers = Dictionary(
            uniqueKeysWithValues: try await database.schedulers.getSchedulers().map { ($0.id, $0.name) })
        return buildsets.map { buildset in
            .object([
                "bsid": .number(Double(buildset.id)),
                "external_idstring": buildset.externalIDString.map(JSONValue.string) ?? .null,
                "reason": buildset.reason.map(JSONValue.string) ?? .null,
                "submitted_at": .number(buildset.submittedAt.timeIntervalSince1970),
                "complete": .bool(buildset.complete),
                "complete_at": buildset.completeAt.map { .number($0.timeIntervalSince1970) } ?? .null,
                "results": buildset.results.map { .number(Double($0.rawValue)) } ?? .null,
                "scheduler": buildset.schedulerID.flatMap { schedulers[$0] }.map(JSONValue.string) ?? .null,
                "sourcestamps": .array(buildset.sourceStampIDs.compactMap { stamps[$0] }.map(Self.sourceStampItem)),
                "properties": .object(buildset.properties),
            ])
        }
    }

    private static func buildRequestItem(_ request: BuildRequest) -> JSONValue {
        .object([
            "buildrequestid": .number(Double(request.id)),
            "buildsetid": .number(Double(request.buildsetID)),
            "builderid": .number(Double(request.builderID)),
            "priority": .number(Double(request.priority)),
            "complete": .bool(request.complete),
            "results": request.results.map { .number(Double($0.rawValue)) } ?? .null,
            "submitted_at": .number(request.submittedAt.timeIntervalSince1970),
            "complete_at": request.completeAt.map { .number($0.timeIntervalSince1970) } ?? .null,
            "waited_for": .bool(request.waitedFor),
            "claimed": .bool(request.claimedByMasterID != nil),
            "claimed_by_masterid": request.claimedByMasterID.map { .number(Double($0)) } ?? .null,
        ])
    }
}
