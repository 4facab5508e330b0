import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let changeKeys: Set<String> = [
        "changeid", "author", "committer", "comments", "files", "properties", "revision", "revlink", "branch",
        "repository", "project", "codebase", "category", "when_timestamp", "sourcestamp", "parent_changeids",
    ]

    /// `GET /api/v2/changes` (filtered, ordered and paged in the database) and `/api/v2/changes/{id}`, each
    /// change with its source stamp, as in Buildbot.
    func addChanges(to router: Router<BasicRequestContext>) {
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
    }

    private func changeItems(_ changes: [Change]) async throws -> [JSONValue] {
        let stamps = Dictionary(
            uniqueKeysWithValues: try await database.sourceStamps.getSourceStamps(
                ids: Array(Set(changes.map(\.sourceStampID)))
            ).map { ($0.id, $0) })
        return changes.map { change in
            .object([
                "changeid": .number(Double(change.id)),
                "author": .string(change.author),
                "committer": change.committer.map(JSONValue.string) ?? .null,
                "comments": .string(change.comments),
                "files": .array(change.files.map(JSONValue.string)),
                "properties": .object(change.properties),
                "revision": change.revision.map(JSONValue.string) ?? .null,
                "revlink": change.revlink.map(JSONValue.string) ?? .null,
                "branch": change.branch.map(JSONValue.string) ?? .null,
                "repository": .string(change.repository),
                "project": .string(change.project),
                "codebase": .string(change.codebase),
                "category": change.category.map(JSONValue.string) ?? .null,
                "when_timestamp": .number(change.when.timeIntervalSince1970),
                "sourcestamp": stamps[change.sourceStampID].map(Self.sourceStampItem) ?? .null,
                "parent_changeids": .array(change.parentChangeIDs.map { .number(Double($0)) }),
            ])
        }
    }

    static func sourceStampItem(_ stamp: SourceStamp) -> JSONValue {
        .object([
            "ssid": .number(Double(stamp.id)),
            "branch": stamp.branch.map(JSONValue.string) ?? .null,
            "revision": stamp.revision.map(JSONValue.string) ?? .null,
            "repository": .string(stamp.repository),
            "codebase": .string(stamp.codebase),
            "project": .string(stamp.project),
            "patch": stamp.patch.map { patch in
                .object([
                    "level": .number(Double(patch.level)), "body": .string(patch.base64),
                    "author": patch.author.map(JSONValue.string) ?? .null,
                    "comment": patch.comment.map(JSONValue.string) ?? .null,
                    "subdir": patch.subdir.map(JSONValue.string) ?? .null,
                ])
            } ?? .null,
            "created_at": .number(stamp.createdAt.timeIntervalSince1970),
        ])
    }
}
