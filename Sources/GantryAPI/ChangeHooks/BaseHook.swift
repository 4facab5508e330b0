import Foundation
import GantryModel

/// Buildbot's `base` change hook: one change from form fields or a JSON object with the same names.
///
/// Fields: `author` (or `who`), `committer`, `comments`, `files` (a JSON list), `properties` (a JSON object),
/// `revision`, `revlink`, `branch`, `repository`, `project`, `codebase`, `category`, `when_timestamp` (epoch
/// seconds).
enum BaseHook {
    static func changes(body: [UInt8], contentType: String?) throws(ChangeHookRefusal) -> [NewChange] {
        let fields = try Self.fields(body: body, contentType: contentType)
        func text(_ key: String) -> String? { fields[key]?.string ?? fields[key]?.integer.map(String.init) }
        guard let author = text("author") ?? text("who"), !author.isEmpty else {
            throw .badRequest("a change needs an 'author'")
        }
        let files = try list(fields["files"], "files")
        let properties = try object(fields["properties"], "properties")
        var when: Date?
        if let stamp = text("when_timestamp") {
            guard let seconds = Double(stamp) else { throw .badRequest("'when_timestamp' must be epoch seconds") }
            when = Date(timeIntervalSince1970: seconds)
        }
        return [
            NewChange(
                author: author, committer: text("committer"), comments: text("comments") ?? "", files: files,
                properties: properties, revision: text("revision"), revlink: text("revlink"),
                branch: text("branch"), repository: text("repository") ?? "", project: text("project") ?? "",
                codebase: text("codebase") ?? "", category: text("category"), when: when)
        ]
    }

    /// The request's fields: a JSON object, or form fields whose `files` and `properties` hold JSON.
    private static func fields(body: [UInt8], contentType: String?) throws(ChangeHookRefusal) -> [String: JSONValue] {
        if contentType?.lowercased().hasPrefix("application/json") == true {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)),
                case .object(let object) = value
            else { throw .badRequest("the body must be a JSON object") }
            return object
        }
        var components = URLComponents()
        components.percentEncodedQuery = String(decoding: body, as: UTF8.self).replacingOccurrences(
            of: "+", with: "%20")
        var fields: [String: JSONValue] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { continue }
            if ["files", "properties"].contains(item.name) {
                guard let parsed = try? JSONValue(json: value) else { throw .badRequest("'\(item.name)' must be JSON") }
                fields[item.name] = parsed
            } else {
                fields[item.name] = .string(value)
            }
        }
        return fields
    }

    private static func list(_ value: JSONValue?, _ key: String) throws(ChangeHookRefusal) -> [String] {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value, items.allSatisfy({ $0.string != nil }) else {
            throw .badRequest("'\(key)' must be a list of strings")
        }
        return items.compactMap(\.string)
    }

    private static func object(_ value: JSONValue?, _ key: String) throws(ChangeHookRefusal) -> [String: JSONValue] {
        guard let value, value != .null else { return [:] }
        guard case .object(let object) = value else { throw .badRequest("'\(key)' must be a JSON object") }
        return object
    }
}
