import SQLKit

extension Database {
    /// Runs one statement of raw SQL in its own transaction, for administration and tests.
    ///
    /// Never pass user input here: the text is not escaped.
    package func execute(_ statement: String) async throws {
        try await withTransaction { sql in
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }
}
