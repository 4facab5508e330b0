import Foundation

extension SourceStamp {
    /// The source stamp as the data API shows it, inside changes and buildsets.
    public var resource: JSONValue {
        .object([
            "ssid": .number(Double(id)),
            "branch": branch.map(JSONValue.string) ?? .null,
            "revision": revision.map(JSONValue.string) ?? .null,
            "repository": .string(repository),
            "codebase": .string(codebase),
            "project": .string(project),
            "patch": patch.map { patch in
                .object([
                    "level": .number(Double(patch.level)), "body": .string(patch.base64),
                    "author": patch.author.map(JSONValue.string) ?? .null,
                    "comment": patch.comment.map(JSONValue.string) ?? .null,
                    "subdir": patch.subdir.map(JSONValue.string) ?? .null,
                ])
            } ?? .null,
            "created_at": .number(createdAt.timeIntervalSince1970),
        ])
    }
}
