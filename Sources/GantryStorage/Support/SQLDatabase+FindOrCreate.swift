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

    func findID(in table: String, key: [(column: String, value: any Encodable & Sendable)]) async throws -> Int? {
        let query = select().column("id").from(table)
        for (column, value) in key {
            query.where(SQLIdentifier(column), .equal, SQLBind(value))
        }
        return try await query.first(decodingColumn: "id", as: Int.self)
    }
}

extension Database {
    /// The id of the row of `table` with `key`, inserted with `extra` when there is none. A row found is the answer
    /// (an id once given never changes), so the lookup is a statement of its own (``withStatement(isolation:_:)``),
    /// and only a row to create takes a transaction, which looks again first: a concurrent caller may have made it.
    func findOrCreateID(
        in table: String,
        key: [(column: String, value: any Encodable & Sendable)],
        extra: [(column: String, value: any Encodable & Sendable)] = []
    ) async throws -> Int {
        if let id = try await withStatement({ sql in try await sql.findID(in: table, key: key) }) { return id }
        return try await withTransaction { sql in try await sql.findOrCreateID(in: table, key: key, extra: extra) }
    }
}

/// A database answer that contradicts the schema; it means a bug or a corrupted database.
struct StorageInvariantError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
