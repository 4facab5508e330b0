import Foundation
public import GantryModel
import SQLKit

/// Source stamps, stored once per distinct set of fields (Buildbot's `ss_hash`), so that changes and buildsets
/// naming the same revision share one row.
public struct SourceStampsConnector: Sendable {
    let database: Database

    /// The id of the source stamp with `fields`, created when there is none; race-safe. A stamp with a patch
    /// is always new.
    public func findSourceStampId(_ fields: SourceStampFields) async throws -> Int {
        let now = database.clock.epochSeconds()
        guard fields.patch == nil else {
            return try await database.withTransaction { sql in try await Self.findOrCreate(fields, now: now, in: sql) }
        }
        return try await database.findOrCreateID(
            in: "sourcestamps", key: [("ss_hash", Self.hash(fields, patchID: nil))],
            extra: Self.columns(fields, now: now))
    }

    /// The source stamp `id`, with its patch; `nil` when there is none.
    public func getSourceStamp(_ id: Int) async throws -> SourceStamp? {
        try await getSourceStamps(ids: [id]).first
    }

    /// Source stamps by id (all of them when `ids` is `nil`).
    public func getSourceStamps(ids: [Int]? = nil) async throws -> [SourceStamp] {
        if ids?.isEmpty == true { return [] }
        // Source stamps never change: however many statements the ids take, they read alike outside a
        // transaction.
        return try await database.withStatement { sql in try await Self.sourceStamps(ids: ids, in: sql) }
    }

    /// One page of source stamps, filtered, ordered and paged in the database (by id unless the spec orders
    /// otherwise), with the number of matches before paging.
    public func getSourceStamps(_ spec: ResultSpec<SourceStampField>) async throws -> Page<SourceStamp> {
        let dialect = database.dialect
        let column = { (field: SourceStampField) -> any SQLExpression in
            SQLColumn(field == .ssid ? "id" : field.rawValue)
        }
        return try await database.withTransaction { sql in
            let count = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total")
                .from("sourcestamps")
            spec.applyFilters(to: count, dialect: dialect, column: column)
            let total = try await count.first(decodingColumn: "total", as: Int.self) ?? 0
            let query = sql.select().column("id").from("sourcestamps")
            spec.applyFilters(to: query, dialect: dialect, column: column)
            spec.applyPaging(to: query, tieBreak: SQLColumn("id"), column: column)
            let ids = try await query.all(decodingColumn: "id", as: Int.self)
            let byID = Dictionary(
                uniqueKeysWithValues: try await Self.sourceStamps(ids: ids, in: sql).map { ($0.id, $0) })
            return Page(items: ids.compactMap { byID[$0] }, total: total)
        }
    }

    /// Source stamps by id (all of them when `ids` is `nil`), in the caller's transaction.
    static func sourceStamps(ids: [Int]?, in sql: any SQLDatabase) async throws -> [SourceStamp] {
        // PostgreSQL rejects `IN ()`; an empty list matches nothing anyway.
        if ids?.isEmpty == true { return [] }
        let query = sql.select()
            .column(SQLColumn("id", table: "sourcestamps"))
            .columns("branch", "revision", "repository", "codebase", "project", "created_at")
            .columns("patchlevel", "patch_base64", "patch_author", "patch_comment", "subdir")
            .from("sourcestamps")
            .join(
                "patches", method: SQLJoinMethod.left,
                on: SQLColumn("id", table: "patches"), .equal, SQLColumn("patchid", table: "sourcestamps")
            )
            .orderBy(SQLColumn("id", table: "sourcestamps"))
        if let ids { query.where(SQLColumn("id", table: "sourcestamps"), .in, SQLBind.group(ids)) }
        return try await query.all().map(Self.sourceStamp)
    }

    static func findOrCreate(_ fields: SourceStampFields, now: Int, in sql: any SQLDatabase) async throws -> Int {
        var patchID: Int?
        if let patch = fields.patch {
            patchID = try await sql.insert(into: "patches")
                .columns("patchlevel", "patch_base64", "patch_author", "patch_comment", "subdir")
                .values(
                    SQLBind(patch.level), SQLBind(patch.base64), SQLBind(patch.author), SQLBind(patch.comment),
                    SQLBind(patch.subdir)
                )
                .returning("id")
                .first(decodingColumn: "id", as: Int.self)
        }
        return try await sql.findOrCreateID(
            in: "sourcestamps", key: [("ss_hash", hash(fields, patchID: patchID))],
            extra: columns(fields, now: now, patchID: patchID))
    }

    /// The columns of a new source stamp with `fields`, but its hash.
    private static func columns(_ fields: SourceStampFields, now: Int, patchID: Int? = nil) -> [(
        column: String, value: any Encodable & Sendable
    )] {
        [
            ("branch", fields.branch), ("revision", fields.revision), ("repository", fields.repository),
            ("codebase", fields.codebase), ("project", fields.project), ("patchid", patchID), ("created_at", now),
        ]
    }

    /// Buildbot's `hashColumns`: the fields joined with NUL, a missing value written as `\u{f5}`.
    static func hash(_ fields: SourceStampFields, patchID: Int?) -> String {
        let values: [String?] = [
            fields.branch, fields.revision, fields.repository, fields.project, fields.codebase,
            patchID.map(String.init),
        ]
        return NameHash.of(values.map { $0 ?? "\u{f5}" }.joined(separator: "\0"))
    }

    private static func sourceStamp(_ row: any SQLRow) throws -> SourceStamp {
        let patch = try row.decode(column: "patchlevel", as: Int?.self).map { level in
            Patch(
                level: level,
                base64: try row.decode(column: "patch_base64", as: String.self),
                author: try row.decode(column: "patch_author", as: String?.self),
                comment: try row.decode(column: "patch_comment", as: String?.self),
                subdir: try row.decode(column: "subdir", as: String?.self)
            )
        }
        return SourceStamp(
            id: try row.decode(column: "id", as: Int.self),
            branch: try row.decode(column: "branch", as: String?.self),
            revision: try row.decode(column: "revision", as: String?.self),
            repository: try row.decode(column: "repository", as: String.self),
            codebase: try row.decode(column: "codebase", as: String.self),
            project: try row.decode(column: "project", as: String.self),
            patch: patch,
            createdAt: Date(timeIntervalSince1970: TimeInterval(try row.decode(column: "created_at", as: Int.self)))
        )
    }
}

extension Database {
    /// The source stamps connector of this database.
    public var sourceStamps: SourceStampsConnector { SourceStampsConnector(database: self) }
}
