import Foundation

extension Change {
    /// The change as the data API shows it (`/api/v2/changes`, `changes/<id>/new` events), with its source
    /// stamp whole, as in Buildbot.
    /// - Parameter sourceStamp: The change's source stamp; `null` in the resource when missing.
    public func resource(sourceStamp: SourceStamp?) -> JSONValue {
        .object([
            "changeid": .number(Double(id)),
            "author": .string(self.author),
            "committer": self.committer.map(JSONValue.string) ?? .null,
            "comments": .string(self.comments),
            "files": .array(self.files.map(JSONValue.string)),
            "properties": .object(self.properties),
            "revision": self.revision.map(JSONValue.string) ?? .null,
            "revlink": self.revlink.map(JSONValue.string) ?? .null,
            "branch": self.branch.map(JSONValue.string) ?? .null,
            "repository": .string(self.repository),
            "project": .string(self.project),
            "codebase": .string(self.codebase),
            "category": self.category.map(JSONValue.string) ?? .null,
            "when_timestamp": .number(when.timeIntervalSince1970),
            "sourcestamp": sourceStamp?.resource ?? .null,
            "parent_changeids": .array(parentChangeIDs.map { .number(Double($0)) }),
        ])
    }
}
