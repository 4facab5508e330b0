public import GantryModel
import SQLKit

extension BuildsetsConnector {
    /// The properties of buildsets `bsids` as `name: [value, source]` by buildset id, only those `selection`
    /// names; a buildset with none of them is left out. A statement per batch of buildsets: the properties of a
    /// page of build requests (which are their buildsets') cost a statement or two.
    public func getBuildsetProperties(bsids: [Int], selecting selection: PropertySelection) async throws
        -> [Int: [String: JSONValue]]
    {
        try await PropertyRows(
            database: database, table: "buildset_properties", owner: "buildsetid", name: "property_name",
            columns: ["property_value"]
        ) { row in
            try JSONValue(json: try row.decode(column: "property_value", as: String.self))
        }.read(bsids, selecting: selection)
    }
}
