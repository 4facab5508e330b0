public import GantryModel
import SQLKit

extension BuildsetsConnector {
    /// The properties of buildsets `bsids` as `name: [value, source]` by buildset id, only those `selection`
    /// names; a buildset with none of them is left out. One statement per batch of buildsets: the properties of a
    /// page of build requests (which are their buildsets') cost a statement or two.
    public func getBuildsetProperties(bsids: [Int], selecting selection: PropertySelection) async throws
        -> [Int: [String: JSONValue]]
    {
        let ids = Array(Set(bsids)).sorted()
        let names = selection.names.map { Array($0).sorted() }
        guard !ids.isEmpty, names?.isEmpty != true else { return [:] }
        return try await database.withTransaction { sql in
            var properties: [Int: [String: JSONValue]] = [:]
            for batch in Batches.of(ids, size: max(Batches.size - (names?.count ?? 0), 1)) {
                let query = sql.select().columns("buildsetid", "property_name", "property_value")
                    .from("buildset_properties").where("buildsetid", .in, SQLBind.group(Array(batch)))
                if let names { query.where("property_name", .in, SQLBind.group(names)) }
                for row in try await query.all() {
                    properties[try row.decode(column: "buildsetid", as: Int.self), default: [:]][
                        try row.decode(column: "property_name", as: String.self)
                    ] = try JSONValue(json: try row.decode(column: "property_value", as: String.self))
                }
            }
            return properties
        }
    }
}
