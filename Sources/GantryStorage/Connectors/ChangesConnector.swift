import Foundation
public import GantryModel
import SQLKit

/// Changes to the source, each with its files, properties and source stamp, stored in one transaction.
public struct ChangesConnector: Sendable {
    let database: Database

    /// Stores `change` with its source stamp (found or created), its files and properties, and as parent the
    /// newest change on the same branch, repository, project and codebase; then posts `changes/new`.
    /// - Returns: The new change id.
    @discardableResult
    public func addChange(_ change: NewChange) async throws -> Int {
        try await addChanges([change])[0]
    }

    /// Stores `changes` in order, as ``addChange(_:)`` does, all in one transaction (a webhook's push is stored
    /// whole or not at all), then posts `changes/new` once.
    /// - Returns: The new change ids, in order.
    @discardableResult
    public func addChanges(_ changes: [NewChange]) async throws -> [Int] {
        guard !changes.isEmpty else { return [] }
        return try await store(changes, state: nil, fence: nil)
    }

    /// Stores `changes` as ``addChanges(_:)`` does, together with the state of the change source that found them,
    /// in one transaction while `fence` is current: a poller's last seen revisions are never apart from the changes
    /// they produced, so a failover neither loses nor repeats a change. With no changes (a deleted branch) only the
    /// state is written, and nothing is posted.
    /// - Throws: `GantryError.fenced` when `fence` is no longer current; `GantryError.conflict` when `state`
    ///   expects a version that is no longer stored. Nothing is written then.
    /// - Returns: The new change ids, in order.
    @discardableResult
    public func addChanges(_ changes: [NewChange], state: StateWrite, fence: ClaimFence) async throws -> [Int] {
        try await store(changes, state: state, fence: fence)
    }

    /// The one write path of changes: the fence checked first, then the state and the changes, then their events.
    private func store(_ changes: [NewChange], state: StateWrite?, fence: ClaimFence?) async throws -> [Int] {
        let now = database.clock.epochSeconds()
        let dialect = database.dialect
        let ids = try await database.withTransaction { sql in
            if let fence { try await ServiceClaims(kind: fence.kind, dialect: dialect).requireCurrent(fence, in: sql) }
            try await state?.write(in: sql)
            var ids: [Int] = []
            for change in changes { ids.append(try await Self.insert(change, now: now, in: sql)) }
            try await EventsConnector.record(FeedChanges(.changes, ids, "new"), in: sql, database: database)
            return ids
        }
        if !ids.isEmpty { await database.notifier.post(.changesNew) }
        return ids
    }

    private static func insert(_ change: NewChange, now: Int, in sql: any SQLDatabase) async throws -> Int {
        let when = change.when.map { Int($0.timeIntervalSince1970.rounded(.down)) } ?? now
        let sourceStampID = try await SourceStampsConnector.findOrCreate(
            SourceStampFields(
                branch: change.branch, revision: change.revision, repository: change.repository,
                codebase: change.codebase, project: change.project),
            now: now, in: sql)
        let parent = sql.select().column("changeid").from("changes")
            .where("repository", .equal, change.repository)
            .where("project", .equal, change.project)
            .where("codebase", .equal, change.codebase)
            .orderBy("changeid", .descending)
            .limit(1)
        if let branch = change.branch {
            parent.where("branch", .equal, branch)
        } else {
            parent.where("branch", .is, SQLLiteral.null)
        }
        let parentID = try await parent.first(decodingColumn: "changeid", as: Int.self)
        guard
            let id = try await sql.insert(into: "changes")
                .columns(
                    "author", "committer", "comments", "branch", "revision", "revlink", "when_timestamp",
                    "category", "repository", "codebase", "project", "sourcestampid", "parent_changeids"
                )
                .values(
                    SQLBind(change.author), SQLBind(change.committer), SQLBind(change.comments),
                    SQLBind(change.branch), SQLBind(change.revision), SQLBind(change.revlink), SQLBind(when),
                    SQLBind(change.category), SQLBind(change.repository), SQLBind(change.codebase),
                    SQLBind(change.project), SQLBind(sourceStampID), SQLBind(parentID)
                )
                .returning("changeid")
                .first(decodingColumn: "changeid", as: Int.self)
        else { throw StorageInvariantError("change insert returned no id") }
        for file in change.files {
            try await sql.insert(into: "change_files").columns("changeid", "filename")
                .values(SQLBind(id), SQLBind(file)).run()
        }
        for (name, value) in change.properties.sorted(by: { $0.key < $1.key }) {
            try await sql.insert(into: "change_properties")
                .columns("changeid", "property_name", "property_value")
                .values(SQLBind(id), SQLBind(name), SQLBind(JSONValue.array([value, "Change"]).jsonText))
                .run()
        }
        return id
    }

    /// The change `changeid`; `nil` when there is none.
    public func getChange(_ changeid: Int) async throws -> Change? {
        try await getChanges(ids: [changeid]).first
    }

    /// Changes by id, oldest first: those named by `ids`, or all of them.
    public func getChanges(ids: [Int]? = nil) async throws -> [Change] {
        if ids?.isEmpty == true { return [] }
        return try await database.withTransaction { sql in
            try await Self.changes(ids: ids, in: sql)
        }
    }

    /// One page of changes, filtered, ordered and paged in the database (by change id unless the spec orders
    /// otherwise), with the number of matches before paging.
    /// - Parameter buildid: Only the changes build `buildid` built: those of the source stamps of its buildset.
    public func getChanges(_ spec: ResultSpec<ChangeField>, buildid: Int? = nil) async throws -> Page<Change> {
        let dialect = database.dialect
        return try await database.withTransaction { sql in
            func matching(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
                if let buildid {
                    query.where(SQLColumn("sourcestampid"), .in, SQLGroupExpression(Self.stamps(builtBy: buildid, sql)))
                }
                spec.applyFilters(to: query, dialect: dialect) { SQLColumn($0.rawValue) }
                return query
            }
            let count = matching(
                sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("changes"))
            let total = try await count.first(decodingColumn: "total", as: Int.self) ?? 0
            let query = matching(sql.select().column("changeid").from("changes"))
            spec.applyPaging(to: query, tieBreak: SQLColumn("changeid")) { SQLColumn($0.rawValue) }
            let ids = try await query.all(decodingColumn: "changeid", as: Int.self)
            let byID = Dictionary(
                uniqueKeysWithValues: try await Self.changes(ids: ids, in: sql).map { ($0.id, $0) })
            return Page(items: ids.compactMap { byID[$0] }, total: total)
        }
    }

    /// The ids of the source stamps build `buildid` built, as a subquery.
    private static func stamps(builtBy buildid: Int, _ sql: any SQLDatabase) -> any SQLExpression {
        sql.select().column(SQLColumn("sourcestampid", table: "buildset_sourcestamps"))
            .from("buildset_sourcestamps")
            .join(
                "buildrequests", on: SQLColumn("buildsetid", table: "buildrequests"), .equal,
                SQLColumn("buildsetid", table: "buildset_sourcestamps")
            )
            .join(
                "builds", on: SQLColumn("buildrequestid", table: "builds"), .equal,
                SQLColumn("id", table: "buildrequests")
            )
            .where(SQLColumn("id", table: "builds"), .equal, SQLBind(buildid))
            .query
    }

    /// Up to `limit` changes with ids above `changeid`, oldest first: how a scheduler reads the changes it has
    /// not seen yet.
    public func getChangesSince(_ changeid: Int, limit: Int = 500) async throws -> [Change] {
        try await database.withTransaction { sql in
            let ids = try await sql.select().column("changeid").from("changes")
                .where("changeid", .greaterThan, changeid).orderBy("changeid").limit(limit)
                .all(decodingColumn: "changeid", as: Int.self)
            return ids.isEmpty ? [] : try await Self.changes(ids: ids, in: sql)
        }
    }

    /// The newest `count` changes, oldest first, as Buildbot's `getRecentChanges`.
    public func getRecentChanges(_ count: Int) async throws -> [Change] {
        try await database.withTransaction { sql in
            let ids = try await sql.select().column("changeid").from("changes")
                .orderBy("changeid", .descending).limit(count)
                .all(decodingColumn: "changeid", as: Int.self)
            return ids.isEmpty ? [] : try await Self.changes(ids: ids, in: sql)
        }
    }

    /// The id of the newest change; `nil` when there are none.
    public func getLatestChangeid() async throws -> Int? {
        try await database.withTransaction { sql in
            try await sql.select().column(SQLFunction("MAX", args: SQLColumn("changeid")), as: "latest")
                .from("changes").first(decodingColumn: "latest", as: Int?.self) ?? nil
        }
    }

    /// The data-API resources of changes `ids`, with their source stamps, read in the caller's transaction.
    static func resources(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: JSONValue] {
        let changes = try await Self.changes(ids: ids, in: sql)
        let stamps = Dictionary(
            uniqueKeysWithValues: try await SourceStampsConnector.sourceStamps(
                ids: Array(Set(changes.map(\.sourceStampID))), in: sql
            ).map { ($0.id, $0) })
        return Dictionary(
            uniqueKeysWithValues: changes.map { ($0.id, $0.resource(sourceStamp: stamps[$0.sourceStampID])) })
    }

    /// Changes by id, oldest first; all of them when `ids` is `nil`. No ids means no statement: PostgreSQL
    /// rejects `IN ()`, and a page or a buildset without changes asks for none.
    static func changes(ids: [Int]?, in sql: any SQLDatabase) async throws -> [Change] {
        if ids?.isEmpty == true { return [] }
        func restricted(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            if let ids { query.where("changeid", .in, SQLBind.group(ids)) }
            return query
        }
        var files: [Int: [String]] = [:]
        for row in try await restricted(sql.select().columns("changeid", "filename").from("change_files")).all() {
            files[try row.decode(column: "changeid", as: Int.self), default: []].append(
                try row.decode(column: "filename", as: String.self))
        }
        var properties: [Int: [String: JSONValue]] = [:]
        let propertyRows = restricted(
            sql.select().columns("changeid", "property_name", "property_value").from("change_properties"))
        for row in try await propertyRows.all() {
            properties[try row.decode(column: "changeid", as: Int.self), default: [:]][
                try row.decode(column: "property_name", as: String.self)
            ] = try JSONValue(json: try row.decode(column: "property_value", as: String.self))
        }
        let rows = try await restricted(sql.select().column("*").from("changes").orderBy("changeid")).all()
        return try rows.map { row in
            let id = try row.decode(column: "changeid", as: Int.self)
            let when = Date(
                timeIntervalSince1970: TimeInterval(try row.decode(column: "when_timestamp", as: Int.self)))
            return Change(
                id: id,
                details: NewChange(
                    author: try row.decode(column: "author", as: String.self),
                    committer: try row.decode(column: "committer", as: String?.self),
                    comments: try row.decode(column: "comments", as: String.self),
                    files: (files[id] ?? []).sorted(),
                    properties: properties[id] ?? [:],
                    revision: try row.decode(column: "revision", as: String?.self),
                    revlink: try row.decode(column: "revlink", as: String?.self),
                    branch: try row.decode(column: "branch", as: String?.self),
                    repository: try row.decode(column: "repository", as: String.self),
                    project: try row.decode(column: "project", as: String.self),
                    codebase: try row.decode(column: "codebase", as: String.self),
                    category: try row.decode(column: "category", as: String?.self),
                    when: when
                ),
                when: when,
                sourceStampID: try row.decode(column: "sourcestampid", as: Int.self),
                parentChangeIDs: try row.decode(column: "parent_changeids", as: Int?.self).map { [$0] } ?? []
            )
        }
    }
}

extension Database {
    /// The changes connector of this database.
    public var changes: ChangesConnector { ChangesConnector(database: self) }
}
