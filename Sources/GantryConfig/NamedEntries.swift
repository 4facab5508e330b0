import GantryModel
import Yams

/// The shape shared by the configuration's lists of named things (builders, workers, pools, schedulers).
extension ConfigReader {
    /// One entry of such a list: its keys, and its name when it has a valid one.
    struct NamedEntry {
        var mapping: Node.Mapping
        var name: String?
    }

    /// The items of the list `key`, each with its location; anything but a list is reported.
    mutating func listItems(_ node: Node?, key: String) -> [(path: String, item: Node)] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem(key, "must be a list")
            return []
        }
        return items.enumerated().map { ("\(key)[\($0.offset)]", $0.element) }
    }

    /// The entry at `path`: a mapping with only `allowed` keys and a `name`, unique among those `seen` and, when
    /// `identifier` says what the entries are, following Buildbot's identifier rule. `nil` when it is not a
    /// mapping; a missing, invalid or repeated name is reported and the entry returned.
    mutating func namedEntry(
        _ item: Node, at path: String, allowed: Set<String>, identifier: String? = nil, seen: inout Set<String>
    ) -> NamedEntry? {
        guard let mapping = item.mapping else {
            problem(path, "must be a mapping")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: allowed, at: path)
        let name = string(mapping, "name", at: path)
        if mapping["name"] == nil { problem(join(path, "name"), "is required") }
        if let identifier, let name, !Identifier.isValid(name) {
            problem(join(path, "name"), "'\(name)' is not a valid \(identifier) name (\(Identifier.rule))")
        }
        if let name, !seen.insert(name).inserted { problem(join(path, "name"), "'\(name)' is used twice") }
        return NamedEntry(mapping: mapping, name: name)
    }
}
