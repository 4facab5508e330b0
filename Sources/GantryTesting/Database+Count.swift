public import GantryStorage
import SQLKit

extension Database {
    /// The number of rows of `table` matching the raw SQL condition `condition`, for tests that check what
    /// a connector left behind.
    public func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        try await withTransaction { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: condition)")
                .first(decoding: Count.self)?.n ?? 0
        }
    }
}

private struct Count: Decodable {
    let n: Int
}

extension Database {
    /// SQLite's journal mode (`wal` for a Gantry file database).
    public func journalMode() async throws -> String? {
        try await withTransaction { sql in
            try await sql.raw("PRAGMA journal_mode").first(decodingColumn: "journal_mode", as: String.self)
        }
    }
}
