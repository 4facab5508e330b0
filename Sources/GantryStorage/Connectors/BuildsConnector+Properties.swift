public import GantryModel
import SQLKit

extension BuildsConnector {
    /// The properties of builds `buildids` as `name: [value, source]` (Buildbot's shape) by build id, only those
    /// `selection` names; a build with none of them is left out. A statement per batch of builds, however many
    /// builds and names, so a page of builds costs a statement or two.
    public func getBuildProperties(buildids: [Int], selecting selection: PropertySelection) async throws
        -> [Int: [String: JSONValue]]
    {
        try await PropertyRows(
            database: database, table: "build_properties", owner: "buildid", name: "name",
            columns: ["value", "source"]
        ) { row in
            [
                try JSONValue(json: try row.decode(column: "value", as: String.self)),
                .string(try row.decode(column: "source", as: String.self)),
            ]
        }.read(buildids, selecting: selection)
    }
}
