public import Foundation
public import GantryModel
import SQLKit

/// Buildsets and their build requests. Adding a buildset for a scheduler is fenced by the scheduler's claim,
/// and may store the scheduler's state in the same transaction, so a buildset and the state saying it was made
/// are never separated.
public struct BuildsetsConnector: Sendable {
    let database: Database

    /// Adds a buildset with one build request per builder.
    ///
    /// - Parameters:
    ///   - fence: The claim of the scheduler adding it; when it is no longer current, `GantryError.fenced` and
    ///     nothing is written.
    ///   - properties: `name: [value, source]` pairs.
    ///   - state: State writes committed together with the buildset.
    ///   - submittedAt: Now unless given (a scheduler records the same time in its state).
    ///   - consumedChangeIDs: Change classifications of the fencing scheduler that this buildset consumes; they
    ///     are flushed in the same transaction, so a change is never built twice nor forgotten unbuilt.
    ///   - parent: The build whose Trigger step adds it.
    ///   - rebuiltBuildID: The build it rebuilds.
    /// Posts `buildrequests/new` once committed when it added requests, else `buildsets/complete`.
    /// - Returns: The buildset id and the request id per builder id.
    public func addBuildset(
        fence: ClaimFence? = nil,
        reason: String,
        builderids: [Int],
        sourceStampIDs: [Int] = [],
        properties: [String: JSONValue] = [:],
        externalIDString: String? = nil,
        priority: Int = 0,
        waitedFor: Bool = false,
        state: [StateWrite] = [],
        consumedChangeIDs: [Int] = [],
        submittedAt: Date? = nil,
        parent: BuildsetParent? = nil,
        rebuiltBuildID: Int? = nil
    ) async throws -> (buildsetID: Int, requestIDs: [Int: Int]) {
        let now = Int((submittedAt ?? database.clock.now()).timeIntervalSince1970.rounded(.down))
        let dialect = database.dialect
        let schedulerID = fence?.kind == .scheduler ? fence?.serviceID : nil
        let added = try await database.withTransaction { sql in
            if let fence { try await ServiceClaims(kind: fence.kind, dialect: dialect).requireCurrent(fence, in: sql) }
            // A build named as parent or rebuilt may have been deleted by the janitor since (a NightlyTriggerable
            // keeps its trigger until its time comes): the buildset then names none, as deleting it later would.
            let named = [parent?.buildID, rebuiltBuildID].compactMap { $0 }
            let existing =
                named.isEmpty
                ? Set<Int>()
                : Set(
                    try await sql.select().column("id").from("builds").where("id", .in, SQLBind.group(named))
                        .all(decodingColumn: "id", as: Int.self))
            let parent = parent.flatMap { existing.contains($0.buildID) ? $0 : nil }
            let rebuiltBuildID = rebuiltBuildID.flatMap { existing.contains($0) ? $0 : nil }
            guard
                let buildsetID = try await sql.insert(into: "buildsets")
                    .columns(
                        "external_idstring", "reason", "submitted_at", "complete", "complete_at", "results",
                        "schedulerid", "parent_buildid", "parent_relationship", "rebuilt_buildid"
                    )
                    .values(
                        SQLBind(externalIDString),
                        SQLBind(reason),
                        SQLBind(now),
                        // With no builders there is nothing to wait for: complete at once, as Buildbot does.
                        SQLBind(builderids.isEmpty),
                        SQLBind(builderids.isEmpty ? now : nil),
                        SQLBind(builderids.isEmpty ? BuildResult.success.rawValue : nil),
                        SQLBind(schedulerID),
                        SQLBind(parent?.buildID),
                        SQLBind(parent?.relationship),
                        SQLBind(rebuiltBuildID)
                    )
                    .returning("id")
                    .first(decodingColumn: "id", as: Int.self)
            else { throw StorageInvariantError("buildset insert returned no id") }
            for sourceStampID in Set(sourceStampIDs).sorted() {
                try await sql.insert(into: "buildset_sourcestamps").columns("buildsetid", "sourcestampid")
                    .values(SQLBind(buildsetID), SQLBind(sourceStampID)).run()
            }
            for batch in Batches.of(properties.sorted(by: { $0.key < $1.key }), size: Batches.size / 3) {
                let insert = sql.insert(into: "buildset_properties")
                    .columns("buildsetid", "property_name", "property_value")
                for (name, value) in batch {
                    insert.values(SQLBind(buildsetID), SQLBind(name), SQLBind(value.jsonText))
                }
                try await insert.run()
            }
            // Its requests join the fair queue of its scheduler and the project of its first source stamp.
            var origin = BuildsetOrigin(schedulerID: schedulerID, project: "")
            if !sourceStampIDs.isEmpty {
                origin.project =
                    try await sql.select().column("project").from("sourcestamps")
                    .where("id", .in, SQLBind.group(Array(Set(sourceStampIDs)))).orderBy("id").limit(1)
                    .first(decodingColumn: "project", as: String.self) ?? ""
            }
            var requestIDs: [Int: Int] = [:]
            for builderid in Set(builderids).sorted() {
                requestIDs[builderid] = try await sql.insert(into: "buildrequests")
                    .columns("buildsetid", "builderid", "priority", "submitted_at", "waited_for", "origin")
                    .values(
                        SQLBind(buildsetID), SQLBind(builderid), SQLBind(priority), SQLBind(now), SQLBind(waitedFor),
                        SQLBind(origin.queueKey)
                    )
                    .returning("id")
                    .first(decodingColumn: "id", as: Int.self)
            }
            for write in state { try await write.write(in: sql) }
            if let fence, fence.kind == .scheduler, !consumedChangeIDs.isEmpty {
                try await SchedulersConnector.flush(fence.serviceID, changeIDs: consumedChangeIDs, in: sql)
            }
            var events = FeedChanges(.buildsets, [buildsetID], "new")
            events.add(.buildrequests, requestIDs.values.sorted(), "new")
            if builderids.isEmpty { events.add(.buildsets, [buildsetID], "complete") }
            try await EventsConnector.record(events, in: sql, database: database)
            return (buildsetID: buildsetID, requestIDs: requestIDs)
        }
        await database.notifier.post(added.requestIDs.isEmpty ? .buildsetsComplete : .buildrequestsNew)
        return added
    }

    /// The buildset `bsid`; `nil` when there is none.
    public func getBuildset(_ bsid: Int) async throws -> Buildset? {
        // Its properties and source stamps never change, and its row is one statement: no transaction is needed.
        try await database.withStatement { sql in try await Self.buildsets(ids: [bsid], in: sql).first }
    }

    /// Buildsets by id, optionally only those a scheduler added, only (in)complete ones, or only those after an id.
    public func getBuildsets(schedulerid: Int? = nil, complete: Bool? = nil, after bsid: Int? = nil) async throws
        -> [Buildset]
    {
        try await database.withTransaction { sql in
            try await Self.buildsets(schedulerid: schedulerid, complete: complete, after: bsid, in: sql)
        }
    }

    /// One page of buildsets, filtered, ordered and paged in the database (by id unless the spec orders
    /// otherwise), with the number of matches before paging.
    public func getBuildsets(_ spec: ResultSpec<BuildsetField>) async throws -> Page<Buildset> {
        let dialect = database.dialect
        let column = { (field: BuildsetField) -> any SQLExpression in
            SQLColumn(field == .bsid ? "id" : field.rawValue)
        }
        return try await database.withTransaction { sql in
            let count = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("buildsets")
            spec.applyFilters(to: count, dialect: dialect, column: column)
            let total = try await count.first(decodingColumn: "total", as: Int.self) ?? 0
            let query = sql.select().column("id").from("buildsets")
            spec.applyFilters(to: query, dialect: dialect, column: column)
            spec.applyPaging(to: query, tieBreak: SQLColumn("id"), column: column)
            let ids = try await query.all(decodingColumn: "id", as: Int.self)
            let byID = Dictionary(
                uniqueKeysWithValues: try await Self.buildsets(ids: ids, in: sql).map { ($0.id, $0) })
            return Page(items: ids.compactMap { byID[$0] }, total: total)
        }
    }

    /// Marks the buildset complete with `results`.
    /// - Throws: `GantryError.conflict` when it is already complete, `.notFound` when there is none.
    public func completeBuildset(_ bsid: Int, results: BuildResult) async throws {
        let now = database.clock.epochSeconds()
        try await database.withTransaction { sql in
            guard try await Self.complete(bsid, results: results, now: now, in: sql) else {
                let exists = try await sql.select().column("id").from("buildsets").where("id", .equal, bsid).first()
                throw exists == nil
                    ? GantryError(.notFound, "no buildset \(bsid)")
                    : GantryError(.conflict, "buildset \(bsid) is already complete")
            }
            try await EventsConnector.record(FeedChanges(.buildsets, [bsid], "complete"), in: sql, database: database)
        }
        await database.notifier.post(.buildsetsComplete)
    }

    /// Completes an incomplete buildset; `false` when it was not (missing or already complete).
    static func complete(_ bsid: Int, results: BuildResult, now: Int, in sql: any SQLDatabase) async throws -> Bool {
        try await !sql.update("buildsets")
            .set("complete", to: true).set("complete_at", to: now).set("results", to: results.rawValue)
            .where("id", .equal, bsid).where("complete", .equal, false)
            .returning("id").all().isEmpty
    }

    /// The data-API resources of buildsets `ids`, with their source stamps and scheduler names, read in the
    /// caller's transaction.
    static func resources(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: JSONValue] {
        let buildsets = try await Self.buildsets(ids: ids, in: sql)
        let stamps = Dictionary(
            uniqueKeysWithValues: try await SourceStampsConnector.sourceStamps(
                ids: Array(Set(buildsets.flatMap(\.sourceStampIDs))), in: sql
            ).map { ($0.id, $0) })
        let schedulerIDs = Set(buildsets.compactMap(\.schedulerID))
        var schedulerNames: [Int: String] = [:]
        if !schedulerIDs.isEmpty {
            for row in try await sql.select().columns("id", "name").from("schedulers")
                .where("id", .in, SQLBind.group(schedulerIDs.sorted())).all()
            {
                schedulerNames[try row.decode(column: "id", as: Int.self)] = try row.decode(
                    column: "name", as: String.self)
            }
        }
        return Dictionary(
            uniqueKeysWithValues: buildsets.map {
                ($0.id, $0.resource(sourceStamps: stamps, schedulerNames: schedulerNames))
            })
    }

    private static func buildsets(
        ids: [Int]? = nil,
        schedulerid: Int? = nil,
        complete: Bool? = nil,
        after bsid: Int? = nil,
        in sql: any SQLDatabase
    ) async throws -> [Buildset] {
        let query = sql.select()
            .columns("id", "reason", "external_idstring", "submitted_at", "complete", "complete_at", "results")
            .columns("schedulerid", "parent_buildid", "parent_relationship", "rebuilt_buildid")
            .from("buildsets")
            .orderBy("id")
        if let ids {
            guard !ids.isEmpty else { return [] }
            query.where("id", .in, SQLBind.group(ids))
        }
        if let schedulerid { query.where("schedulerid", .equal, schedulerid) }
        if let complete { query.where("complete", .equal, complete) }
        if let bsid { query.where("id", .greaterThan, bsid) }
        let rows = try await query.all()
        let ids = try rows.map { try $0.decode(column: "id", as: Int.self) }
        var properties: [Int: [String: JSONValue]] = [:]
        var stamps: [Int: [Int]] = [:]
        for batch in Batches.of(ids) {
            for row in try await sql.select().columns("buildsetid", "property_name", "property_value")
                .from("buildset_properties").where("buildsetid", .in, SQLBind.group(Array(batch))).all()
            {
                properties[try row.decode(column: "buildsetid", as: Int.self), default: [:]][
                    try row.decode(column: "property_name", as: String.self)
                ] = try JSONValue(json: try row.decode(column: "property_value", as: String.self))
            }
            for row in try await sql.select().columns("buildsetid", "sourcestampid").from("buildset_sourcestamps")
                .where("buildsetid", .in, SQLBind.group(Array(batch))).orderBy("sourcestampid").all()
            {
                stamps[try row.decode(column: "buildsetid", as: Int.self), default: []].append(
                    try row.decode(column: "sourcestampid", as: Int.self))
            }
        }
        return try rows.map { row in
            let id = try row.decode(column: "id", as: Int.self)
            let parentID = try row.decode(column: "parent_buildid", as: Int?.self)
            let relationship = try row.decode(column: "parent_relationship", as: String?.self)
            return Buildset(
                id: id,
                reason: try row.decode(column: "reason", as: String?.self),
                externalIDString: try row.decode(column: "external_idstring", as: String?.self),
                submittedAt: Date(
                    timeIntervalSince1970: TimeInterval(try row.decode(column: "submitted_at", as: Int.self))),
                complete: try row.decode(column: "complete", as: Bool.self),
                completeAt: try row.decode(column: "complete_at", as: Int?.self).map {
                    Date(timeIntervalSince1970: TimeInterval($0))
                },
                results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)),
                schedulerID: try row.decode(column: "schedulerid", as: Int?.self),
                sourceStampIDs: stamps[id] ?? [],
                properties: properties[id] ?? [:],
                parent: parentID.map { BuildsetParent(buildID: $0, relationship: relationship ?? "") },
                rebuiltBuildID: try row.decode(column: "rebuilt_buildid", as: Int?.self)
            )
        }
    }
}

extension Database {
    /// The buildsets connector of this database.
    public var buildsets: BuildsetsConnector { BuildsetsConnector(database: self) }
}
