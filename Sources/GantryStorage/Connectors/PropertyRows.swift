import GantryModel
import SQLKit

/// Reads the properties of many builds or buildsets at once, as the API's `property=` asks them: a statement per
/// batch of owners, each batch in a transaction of its own, so that no listing however long holds one open.
struct PropertyRows: Sendable {
    let database: Database
    /// The property table, its column naming the owner (build or buildset) and the one naming the property.
    let table: String
    let owner: String
    let name: String
    /// The other columns `value` reads.
    let columns: [String]
    /// A row's value in Buildbot's shape, `[value, source]`.
    let value: @Sendable (any SQLRow) throws -> JSONValue

    /// The properties of `ids` that `selection` names, by owner; an owner with none is left out.
    func read(_ ids: [Int], selecting selection: PropertySelection) async throws -> [Int: [String: JSONValue]] {
        let ids = Array(Set(ids)).sorted()
        let names = selection.names.map { Array($0).sorted() }
        guard !ids.isEmpty, names?.isEmpty != true else { return [:] }
        var properties: [Int: [String: JSONValue]] = [:]
        for batch in Batches.of(ids, size: max(Batches.size - (names?.count ?? 0), 1)) {
            let rows = try await database.withTransaction { sql in
                let query = sql.select().columns([owner, name] + columns).from(table)
                    .where(SQLColumn(owner), .in, SQLBind.group(Array(batch)))
                if let names { query.where(SQLColumn(name), .in, SQLBind.group(names)) }
                return try await query.all()
            }
            for row in rows {
                properties[try row.decode(column: owner, as: Int.self), default: [:]][
                    try row.decode(column: name, as: String.self)
                ] = try value(row)
            }
        }
        return properties
    }
}
