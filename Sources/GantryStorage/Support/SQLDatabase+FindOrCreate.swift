import SQLKit

extension SQLDatabase {
    /// The id of the row of `table` matching `key`, inserting `key` plus `extra` when there is none.
    ///
    /// Race-safe without retries: the insert ignores a conflict on the unique key, and the re-read (a new
    /// statement, so a new snapshot) then sees whichever concurrent insert won.
    func findOrCreateID(
        in table: String,
        key: [(column: String, value: any Encodable & Sendable)],
        extra: [(column: String, value: any Encodable & Sendable)] = []
    ) async throws -> Int {
        if let id = try await findID(in: table, key: key) { return id }
        let row = key + extra
        try await insert(into: table)
            .columns(row.map(\.column))
            .values(row.map { SQLBind($0.value) })
            .ignoringConflicts(with: key.map(\.column))
            .run()
        guard let id = try await findID(in: table, key: key) else {
            throw StorageInvariantError("row inserted into \(table) is not visible")
        }
        return id
    }

    private func findID(in table: String, key: [(column: String, value: any Encodable & Sendable)]) async throws -> Int?
    {
        let query = select().column("id").from(table)
        for (column, value) in key {
            query.where(SQLIdentifier(column), .equal, SQLBind(value))
        }
        return try await query.first(decodingColumn: "id", as: Int.self)
    }
}

/// A database answer that contradicts the schema; it means a bug or a corrupted database.
struct StorageInvariantError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
