import GantryModel
import Yams

/// Reads the `builders` list: each builder's name, workers, steps, properties, tags and how it collapses requests.
extension ConfigReader {
    /// `- {name, workers: [NAME], steps: [STEP], description, properties, tags, collapseRequests}`; names unique,
    /// workers among `known`, Trigger steps naming `triggerable` schedulers, `locks` naming the configuration's.
    mutating func builders(_ node: Node?, workers known: Set<String>, triggerable: Set<String>) -> [BuilderConfig] {
        var builders: [BuilderConfig] = []
        var seen: Set<String> = []
        for (path, item) in listItems(node, key: "builders") {
            let allowed: Set = [
                "name", "workers", "steps", "description", "properties", "tags", "collapseRequests", "locks",
            ]
            guard let entry = namedEntry(item, at: path, allowed: allowed, seen: &seen), let name = entry.name
            else { continue }
            let mapping = entry.mapping
            var builder = BuilderConfig(name: name, description: string(mapping, "description", at: path))
            builder.workers = names(mapping["workers"], at: join(path, "workers"))
            for worker in builder.workers where !known.contains(worker) {
                problem(join(path, "workers"), "'\(worker)' is not a worker of this configuration")
            }
            builder.steps = steps(mapping["steps"], triggerable: triggerable, at: join(path, "steps"))
            builder.tags = names(mapping["tags"], at: join(path, "tags"))
            builder.locks = lockAccesses(mapping["locks"], at: join(path, "locks"))
            checkLocks(of: builder, at: path)
            builder.collapseRequests = collapseRule(mapping["collapseRequests"], at: join(path, "collapseRequests"))
            if let properties = mapping["properties"] {
                if let entries = properties.mapping {
                    for (key, value) in entries { builder.properties[key.string ?? ""] = Self.json(value) }
                } else {
                    problem(join(path, "properties"), "must map names to values")
                }
            }
            builders.append(builder)
        }
        return builders
    }

    mutating func names(_ node: Node?, at path: String) -> [String] {
        guard let node else { return [] }
        guard let items = node.sequence, let names = Optional(items.compactMap(\.string)), names.count == items.count
        else {
            problem(path, "must be a list of names")
            return []
        }
        return names
    }
}
