import Foundation
public import GantryModel
import SQLKit

/// Builds and their properties.
public struct BuildsConnector: Sendable {
    let database: Database

    /// Starts a build of request `buildrequestid`, numbered after the builder's latest build, with the
    /// properties it starts with (`name: [value, source]`, given its number) in the same transaction: the build
    /// never shows without them, and its start costs one transaction.
    public func addBuild(
        builderid: Int,
        buildrequestid: Int,
        workerid: Int?,
        masterid: Int,
        stateString: String = "created",
        properties: @Sendable (_ number: Int) -> [String: JSONValue] = { _ in [:] }
    ) async throws -> (id: Int, number: Int) {
        let now = database.clock.epochSeconds()
        let dialect = database.dialect
        return try await database.withTransaction { sql in
            // Builds of one builder are numbered one at a time, after the last it ever had: the janitor may have
            // deleted every build a builder had.
            let builder = sql.select().column("last_build_number").from("builders").where("id", .equal, builderid)
            if let lock = dialect.updateLock { builder.lockingClause(lock) }
            guard let last = try await builder.first(decodingColumn: "last_build_number", as: Int.self) else {
                throw GantryError(.notFound, "no builder \(builderid)")
            }
            let number = last.addingSaturated(1)
            try await sql.update("builders").set("last_build_number", to: number).where("id", .equal, builderid).run()
            guard
                let id = try await sql.insert(into: "builds")
                    .columns(
                        "number", "builderid", "buildrequestid", "workerid", "masterid", "started_at", "state_string"
                    )
                    .values(
                        SQLBind(number), SQLBind(builderid), SQLBind(buildrequestid), SQLBind(workerid),
                        SQLBind(masterid),
                        SQLBind(now), SQLBind(stateString)
                    )
                    .returning("id")
                    .first(decodingColumn: "id", as: Int.self)
            else { throw StorageInvariantError("build insert returned no id") }
            try await Self.store(properties(number), of: id, in: sql)
            try await EventsConnector.record(FeedChanges(.builds, [id], "new"), in: sql, database: database)
            return (id: id, number: number)
        }
    }

    /// The build `id`; `nil` when there is none.
    public func getBuild(_ id: Int) async throws -> Build? {
        try await database.withTransaction { sql in
            try await Self.builds(sql.select().where("id", .equal, id)).first
        }
    }

    /// Builds, oldest first, with Buildbot's filters.
    public func getBuilds(
        builderid: Int? = nil,
        buildrequestid: Int? = nil,
        workerid: Int? = nil,
        masterid: Int? = nil,
        complete: Bool? = nil
    ) async throws -> [Build] {
        try await database.withTransaction { sql in
            let query = sql.select()
            if let builderid { query.where("builderid", .equal, builderid) }
            if let buildrequestid { query.where("buildrequestid", .equal, buildrequestid) }
            if let workerid { query.where("workerid", .equal, workerid) }
            if let masterid { query.where("masterid", .equal, masterid) }
            if let complete { query.where(SQLColumn("complete_at"), complete ? .isNot : .is, SQLLiteral.null) }
            return try await Self.builds(query)
        }
    }

    /// One page of builds (of `builderid` when given), filtered, ordered and paged in the database (by id unless
    /// the spec orders otherwise), with the number of matches before paging.
    /// - Parameter changeid: Only the builds of change `changeid`: those of buildsets with its source stamp.
    public func getBuilds(_ spec: ResultSpec<BuildField>, builderid: Int? = nil, changeid: Int? = nil) async throws
        -> Page<Build>
    {
        let dialect = database.dialect
        let column = { (field: BuildField) -> any SQLExpression in
            switch field {
            case .buildid: SQLColumn("id")
            case .complete: SQLGroupExpression(SQLBinaryExpression(SQLColumn("complete_at"), .isNot, SQLLiteral.null))
            default: SQLColumn(field.rawValue)
            }
        }
        return try await database.withTransaction { sql in
            let count = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("builds")
            let query = sql.select().column("id").from("builds")
            for selection in [count, query] {
                if let builderid { selection.where("builderid", .equal, builderid) }
                if let changeid {
                    selection.where(
                        SQLColumn("buildrequestid"), .in, SQLGroupExpression(Self.requests(of: changeid, sql)))
                }
                spec.applyFilters(to: selection, dialect: dialect, column: column)
            }
            let total = try await count.first(decodingColumn: "total", as: Int.self) ?? 0
            spec.applyPaging(to: query, tieBreak: SQLColumn("id"), column: column)
            let ids = try await query.all(decodingColumn: "id", as: Int.self)
            guard !ids.isEmpty else { return Page(items: [], total: total) }
            let byID = Dictionary(
                uniqueKeysWithValues: try await Self.builds(sql.select().where("id", .in, SQLBind.group(ids))).map {
                    ($0.id, $0)
                })
            return Page(items: ids.compactMap { byID[$0] }, total: total)
        }
    }

    /// The ids of the build requests of change `changeid` (of buildsets with its source stamp), as a subquery.
    private static func requests(of changeid: Int, _ sql: any SQLDatabase) -> any SQLExpression {
        sql.select().column(SQLColumn("id", table: "buildrequests"))
            .from("buildrequests")
            .join(
                "buildset_sourcestamps", on: SQLColumn("buildsetid", table: "buildset_sourcestamps"), .equal,
                SQLColumn("buildsetid", table: "buildrequests")
            )
            .join(
                "changes", on: SQLColumn("sourcestampid", table: "changes"), .equal,
                SQLColumn("sourcestampid", table: "buildset_sourcestamps")
            )
            .where(SQLColumn("changeid", table: "changes"), .equal, SQLBind(changeid))
            .query
    }

    public func setBuildStateString(_ id: Int, _ stateString: String) async throws {
        try await database.withTransaction { sql in
            try await sql.update("builds").set("state_string", to: stateString).where("id", .equal, id).run()
            try await EventsConnector.record(FeedChanges(.builds, [id], "update"), in: sql, database: database)
        }
    }

    /// Finishes build `id` with `results` and releases its locks; a build already finished keeps its results.
    public func finishBuild(_ id: Int, results: BuildResult) async throws {
        let now = database.clock.epochSeconds()
        try await database.withTransaction { sql in
            try await LocksConnector.release(buildid: id, in: sql)
            let finished = try await sql.update("builds")
                .set("complete_at", to: now)
                .set("results", to: results.rawValue)
                .where("id", .equal, id)
                .where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                .returning("id").all(decodingColumn: "id", as: Int.self)
            try await EventsConnector.record(FeedChanges(.builds, finished, "finished"), in: sql, database: database)
        }
    }

    /// What ending a build did to its request.
    public enum Ending: Sendable, Equatable {
        /// The request is complete with the build's results (its buildset too when it was the last).
        case completed
        /// The build ended RETRY and the request is unclaimed, for any master to build again.
        case handedBack
        /// The build had already been ended (RETRY, by the expiry or stop of its master): nothing changed.
        case alreadyEnded
    }

    /// Ends build `id` of request `buildrequestid`, claimed by `masterid`, with `results`, and in the same
    /// transaction completes the request or, for RETRY, hands it back: a build's result and what it completes
    /// are never apart, so no master can build a request again whose build has already finished. The requests
    /// collapsed into it go with it: completed SKIPPED, or handed back.
    /// - Throws: `GantryError.conflict` when the request is not claimed by `masterid` (nothing changed).
    public func endBuild(_ id: Int, results: BuildResult, buildrequestid: Int, masterid: Int) async throws -> Ending {
        let now = database.clock.epochSeconds()
        let ending: Ending = try await database.withTransaction { sql in
            // An ended build holds no locks, however it ended.
            try await LocksConnector.release(buildid: id, in: sql)
            let ended = try await sql.update("builds")
                .set("complete_at", to: now).set("results", to: results.rawValue).set("state_string", to: "finished")
                .where("id", .equal, id).where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                .returning("id").all(decodingColumn: "id", as: Int.self)
            guard !ended.isEmpty else { return .alreadyEnded }
            var events = FeedChanges(.builds, ended, "finished")
            let outcome: Ending
            if results == .retry {
                events.add(try await BuildRequestsConnector.unclaim([buildrequestid], masterid: masterid, in: sql))
                outcome = .handedBack
            } else {
                events.add(
                    try await BuildRequestsConnector.complete(
                        [buildrequestid], results: results, masterid: masterid, now: now, in: sql))
                outcome = .completed
            }
            try await EventsConnector.record(events, in: sql, database: database)
            return outcome
        }
        switch ending {
        case .completed: await database.notifier.post(.buildsetsComplete)
        // Any master's distributor may build it again now, not at its next poll.
        case .handedBack: await database.notifier.post(.buildrequestsNew)
        case .alreadyEnded: break
        }
        return ending
    }

    /// Asks the master running build `id` to stop it (it is told by `builds/stop` and its own poll).
    /// - Throws: `GantryError.notFound` for no such build, `.conflict` when it has finished.
    public func requestBuildStop(_ id: Int, reason: String) async throws {
        try await database.withTransaction { sql in
            let stopped = try await sql.update("builds").set("stop_reason", to: reason)
                .where("id", .equal, id).where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                .returning("id").all(decodingColumn: "id", as: Int.self)
            guard stopped.isEmpty else { return }
            let exists = try await sql.select().column("id").from("builds").where("id", .equal, id).first() != nil
            throw exists
                ? GantryError(.conflict, "build \(id) has already finished")
                : GantryError(.notFound, "no build with id '\(id)'")
        }
        await database.notifier.post(.buildsStop)
    }

    /// The unfinished builds of `masterid` asked to stop: their request ids and reasons.
    public func getStopRequests(masterid: Int) async throws -> [(buildRequestID: Int, reason: String)] {
        try await database.withTransaction { sql in
            try await sql.select().columns("buildrequestid", "stop_reason").from("builds")
                .where("masterid", .equal, masterid).where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                .where(SQLColumn("stop_reason"), .isNot, SQLLiteral.null).all()
                .map {
                    (
                        try $0.decode(column: "buildrequestid", as: Int.self),
                        try $0.decode(column: "stop_reason", as: String.self)
                    )
                }
        }
    }

    /// Sets property `name` of build `id` (replacing it) with its source.
    public func setBuildProperty(_ id: Int, name: String, value: JSONValue, source: String) async throws {
        try await setBuildProperties(id, [name: [value, .string(source)]])
    }

    /// Sets several properties of build `id` at once, given as `name: [value, source]` (Buildbot's shape).
    public func setBuildProperties(_ id: Int, _ properties: [String: JSONValue]) async throws {
        try await database.withTransaction { sql in try await Self.store(properties, of: id, in: sql) }
    }

    /// Sets `properties` (`name: [value, source]`) of build `id` in the caller's transaction, many rows to a
    /// statement: a build starts with a dozen.
    private static func store(_ properties: [String: JSONValue], of id: Int, in sql: any SQLDatabase) async throws {
        for batch in Batches.of(properties.sorted(by: { $0.key < $1.key }), size: Batches.size / 4) {
            let insert = sql.insert(into: "build_properties").columns("buildid", "name", "value", "source")
            for (name, pair) in batch {
                let value = pair.elements.first ?? .null
                let source = pair.elements.dropFirst().first?.string ?? ""
                insert.values(SQLBind(id), SQLBind(name), SQLBind(value.jsonText), SQLBind(source))
            }
            try await insert.onConflict(with: ["buildid", "name"]) {
                $0.set(excludedValueOf: "value").set(excludedValueOf: "source")
            }
            .run()
        }
    }

    /// The properties of build `id` as `name: [value, source]`, Buildbot's shape.
    public func getBuildProperties(_ id: Int) async throws -> [String: JSONValue] {
        try await database.withTransaction { sql in
            var properties: [String: JSONValue] = [:]
            for row in try await sql.select().columns("name", "value", "source").from("build_properties")
                .where("buildid", .equal, id).all()
            {
                let value = try JSONValue(json: try row.decode(column: "value", as: String.self))
                properties[try row.decode(column: "name", as: String.self)] = [
                    value, .string(try row.decode(column: "source", as: String.self)),
                ]
            }
            return properties
        }
    }

    /// Ends every unfinished build of `masterid` as RETRY (the master is gone; their requests run again).
    /// - Returns: Their `finished` events.
    static func retryUnfinished(of masterid: Int, now: Int, in sql: any SQLDatabase) async throws -> FeedChanges {
        let ended = try await sql.update("builds")
            .set("complete_at", to: now)
            .set("results", to: BuildResult.retry.rawValue)
            .where(Dialect.unindexed("masterid"), .equal, SQLBind(masterid))
            .where(SQLColumn("complete_at"), .is, SQLLiteral.null)
            .returning("id").all(decodingColumn: "id", as: Int.self)
        return FeedChanges(.builds, ended.sorted(), "finished")
    }

    /// The data-API resources of builds `ids`, read in the caller's transaction.
    static func resources(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: JSONValue] {
        Dictionary(
            uniqueKeysWithValues: try await builds(sql.select().where("id", .in, SQLBind.group(ids))).map {
                ($0.id, $0.resource)
            })
    }

    private static func builds(_ query: SQLSelectBuilder) async throws -> [Build] {
        try await query
            .columns(
                "id", "number", "builderid", "buildrequestid", "workerid", "masterid", "started_at", "complete_at",
                "state_string", "results", "locks_duration_s"
            )
            .from("builds")
            .orderBy("id")
            .all()
            .map { row in
                Build(
                    id: try row.decode(column: "id", as: Int.self),
                    number: try row.decode(column: "number", as: Int.self),
                    builderID: try row.decode(column: "builderid", as: Int.self),
                    buildRequestID: try row.decode(column: "buildrequestid", as: Int.self),
                    workerID: try row.decode(column: "workerid", as: Int?.self),
                    masterID: try row.decode(column: "masterid", as: Int.self),
                    startedAt: Date(
                        timeIntervalSince1970: TimeInterval(try row.decode(column: "started_at", as: Int.self))),
                    completeAt: try row.decode(column: "complete_at", as: Int?.self).map {
                        Date(timeIntervalSince1970: TimeInterval($0))
                    },
                    stateString: try row.decode(column: "state_string", as: String.self),
                    results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)),
                    locksDurationSeconds: try row.decode(column: "locks_duration_s", as: Int.self)
                )
            }
    }
}

extension Database {
    /// The builds connector of this database.
    public var builds: BuildsConnector { BuildsConnector(database: self) }
}
