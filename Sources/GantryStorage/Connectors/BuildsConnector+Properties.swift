public import GantryModel
import SQLKit

extension BuildsConnector {
    /// The properties of builds `buildids` as `name: [value, source]` (Buildbot's shape) by build id, only those
    /// `selection` names; a build with none of them is left out. One statement per batch of builds, however many
    /// builds and names, so a page of builds costs a statement or two.
    public func getBuildProperties(buildids: [Int], selecting selection: PropertySelection) async throws
        -> [Int: [String: JSONValue]]
    {
        let ids = Array(Set(buildids)).sorted()
        let names = selection.names.map { Array($0).sorted() }
        guard !ids.isEmpty, names?.isEmpty != true else { return [:] }
        return try await database.withTransaction { sql in
            var properties: [Int: [String: JSONValue]] = [:]
            for batch in Batches.of(ids, size: max(Batches.size - (names?.count ?? 0), 1)) {
                let query = sql.select().columns("buildid", "name", "value", "source").from("build_properties")
                    .where("buildid", .in, SQLBind.group(Array(batch)))
                if let names { query.where("name", .in, SQLBind.group(names)) }
                for row in try await query.all() {
                    let value = try JSONValue(json: try row.decode(column: "value", as: String.self))
                    properties[try row.decode(column: "buildid", as: Int.self), default: [:]][
                        try row.decode(column: "name", as: String.self)
                    ] = [value, .string(try row.decode(column: "source", as: String.self))]
                }
            }
            return properties
        }
    }
}
