public import Foundation
import GantryModel
import SQLKit

/// The `audit_log` table: who did, or tried, which control action to what, shared by every master and kept
/// beyond any master's life.
public struct AuditConnector: Sendable {
    let database: Database

    /// The most entries one read returns.
    public static let maxLimit = 1_000

    /// Appends an entry.
    public func record(
        user: String?, source: String, action: String, target: String, address: String?, outcome: String,
        detail: String?, at: Date
    ) async throws {
        let seconds = at.epochSeconds
        try await database.withTransaction { sql in
            try await sql.insert(into: "audit_log")
                .columns("at", "user_name", "source", "action", "target", "address", "outcome", "detail")
                .values(
                    SQLBind(seconds), SQLBind(user), SQLBind(source), SQLBind(action), SQLBind(target),
                    SQLBind(address), SQLBind(outcome), SQLBind(detail)
                )
                .run()
        }
    }

    /// Newest first, `limit` at most (held within 1...1000), optionally only for `target` (exact, e.g. "build 12",
    /// "worker w1"), before id `before` for paging: the next page starts before the last id of this one.
    public func entries(target: String? = nil, before: Int? = nil, limit: Int) async throws -> [AuditEntry] {
        let count = min(max(limit, 1), Self.maxLimit)
        return try await database.withTransaction { sql in
            let query = sql.select()
                .columns("id", "at", "user_name", "source", "action", "target", "address", "outcome", "detail")
                .from("audit_log")
            if let target { query.where("target", .equal, target) }
            if let before { query.where("id", .lessThan, before) }
            return try await query.orderBy("id", .descending).limit(count).all().map(Self.entry)
        }
    }

    /// Deletes the entries recorded before `date`; returns how many.
    @discardableResult
    public func deleteOlder(than date: Date) async throws -> Int {
        let seconds = date.epochSeconds
        return try await database.withTransaction { sql in
            try await sql.delete(from: "audit_log").where("at", .lessThan, seconds).returning("id").all().count
        }
    }

    private static func entry(_ row: any SQLRow) throws -> AuditEntry {
        AuditEntry(
            id: try row.decode(column: "id", as: Int.self),
            at: Date(epochSeconds: try row.decode(column: "at", as: Int.self)),
            user: try row.decode(column: "user_name", as: String?.self),
            source: try row.decode(column: "source", as: String.self),
            action: try row.decode(column: "action", as: String.self),
            target: try row.decode(column: "target", as: String.self),
            address: try row.decode(column: "address", as: String?.self),
            outcome: try row.decode(column: "outcome", as: String.self),
            detail: try row.decode(column: "detail", as: String?.self)
        )
    }
}

extension Database {
    /// The audit log connector of this database.
    public var audit: AuditConnector { AuditConnector(database: self) }
}
