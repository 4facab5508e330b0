public import Foundation
public import GantryModel
import SQLKit

extension BuildsConnector {
    /// A build as the web UI's lists show it: with its builder's and its worker's names, read in the same
    /// statement, so a list of builds costs one query whatever its length.
    public struct Summary: Sendable, Hashable {
        public var id: Int
        public var number: Int
        public var builderID: Int
        public var builderName: String
        public var buildRequestID: Int
        public var workerID: Int?
        public var workerName: String?
        public var startedAt: Date
        public var completeAt: Date?
        public var stateString: String
        public var results: BuildResult?
    }

    /// The unfinished builds, oldest first (`limit` of them at most), and how many there are.
    ///
    /// Read through the incomplete build requests (an unfinished build's request is incomplete until the build
    /// ends), so the cost follows what is queued and running, not the number of builds ever run.
    public func getRunningBuilds(limit: Int) async throws -> Page<Summary> {
        try await database.withTransaction { sql in
            func running(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
                query.join(
                    "buildrequests", on: SQLColumn("id", table: "buildrequests"), .equal,
                    SQLColumn("buildrequestid", table: "builds")
                )
                .where(SQLColumn("complete", table: "buildrequests"), .equal, SQLBind(false))
                .where(SQLColumn("complete_at", table: "builds"), .is, SQLLiteral.null)
            }
            let total =
                try await running(
                    sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("builds")
                ).first(decodingColumn: "total", as: Int.self) ?? 0
            let items = try await Self.summaries(in: sql) { query in
                running(query).orderBy(SQLColumn("id", table: "builds")).limit(max(limit, 0))
            }
            return Page(items: items, total: total)
        }
    }

    /// The newest `limit` finished builds, newest first.
    public func getFinishedBuilds(limit: Int) async throws -> [Summary] {
        try await database.withTransaction { sql in
            try await Self.summaries(in: sql) { query in
                query.where(SQLColumn("complete_at", table: "builds"), .isNot, SQLLiteral.null)
                    .orderBy(SQLColumn("id", table: "builds"), SQLDirection.descending).limit(max(limit, 0))
            }
        }
    }

    /// One page of the builds of `builderid`, newest first, and how many it has.
    /// - Parameters:
    ///   - offset: How many builds to skip (negative counts as 0).
    ///   - limit: The most to return (negative counts as 0).
    public func getBuilderBuilds(_ builderid: Int, offset: Int, limit: Int) async throws -> Page<Summary> {
        try await database.withTransaction { sql in
            let total =
                try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total")
                .from("builds").where("builderid", .equal, builderid)
                .first(decodingColumn: "total", as: Int.self) ?? 0
            let items = try await Self.summaries(in: sql) { query in
                query.where(SQLColumn("builderid", table: "builds"), .equal, SQLBind(builderid))
                    .orderBy(SQLColumn("number", table: "builds"), SQLDirection.descending)
                    .limit(max(limit, 0)).offset(max(offset, 0))
            }
            return Page(items: items, total: total)
        }
    }

    /// The newest build of each of `builderids` that has any, by builder id: two statements whatever the number
    /// of builders, the first answered from the index on `(builderid, number)`.
    public func getLatestBuilds(builderids: [Int]) async throws -> [Int: Summary] {
        let ids = Array(Set(builderids))
        guard !ids.isEmpty else { return [:] }
        return try await database.withTransaction { sql in
            var latest: [Int: Int] = [:]
            for batch in Batches.of(ids) {
                for row in try await sql.select().column("builderid")
                    .column(SQLFunction("MAX", args: SQLColumn("number")), as: "latest")
                    .from("builds").where("builderid", .in, SQLBind.group(Array(batch))).groupBy("builderid").all()
                {
                    latest[try row.decode(column: "builderid", as: Int.self)] = try row.decode(
                        column: "latest", as: Int.self)
                }
            }
            guard !latest.isEmpty else { return [:] }
            var builds: [Int: Summary] = [:]
            for batch in Batches.of(Array(latest.keys)) {
                // Builder and number together name one build; a number of another builder may come along too.
                let numbers = Set(batch.compactMap { latest[$0] })
                let rows = try await Self.summaries(in: sql) { query in
                    query.where(SQLColumn("builderid", table: "builds"), .in, SQLBind.group(Array(batch)))
                        .where(SQLColumn("number", table: "builds"), .in, SQLBind.group(Array(numbers)))
                }
                for build in rows where latest[build.builderID] == build.number { builds[build.builderID] = build }
            }
            return builds
        }
    }

    /// How many unfinished builds each of `builderids` has, by builder id (builders with none are left out).
    public func getRunningBuildCounts(builderids: [Int]) async throws -> [Int: Int] {
        let ids = Array(Set(builderids))
        guard !ids.isEmpty else { return [:] }
        return try await database.withTransaction { sql in
            var counts: [Int: Int] = [:]
            let builder = SQLColumn("builderid", table: "builds")
            for batch in Batches.of(ids) {
                for row in try await sql.select().column(builder, as: "builderid")
                    .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "running")
                    .from("builds")
                    .join(
                        "buildrequests", on: SQLColumn("id", table: "buildrequests"), .equal,
                        SQLColumn("buildrequestid", table: "builds")
                    )
                    .where(SQLColumn("complete", table: "buildrequests"), .equal, SQLBind(false))
                    .where(SQLColumn("complete_at", table: "builds"), .is, SQLLiteral.null)
                    .where(builder, .in, SQLBind.group(Array(batch)))
                    .groupBy(builder).all()
                {
                    counts[try row.decode(column: "builderid", as: Int.self)] = try row.decode(
                        column: "running", as: Int.self)
                }
            }
            return counts
        }
    }

    /// The build `id` with its names; `nil` when there is none.
    public func getBuildSummary(_ id: Int) async throws -> Summary? {
        try await database.withTransaction { sql in
            try await Self.summaries(in: sql) { $0.where(SQLColumn("id", table: "builds"), .equal, SQLBind(id)) }
                .first
        }
    }

    /// Build `number` of `builderid` with its names; `nil` when there is none.
    public func getBuildSummary(builderid: Int, number: Int) async throws -> Summary? {
        try await database.withTransaction { sql in
            try await Self.summaries(in: sql) { query in
                query.where(SQLColumn("builderid", table: "builds"), .equal, SQLBind(builderid))
                    .where(SQLColumn("number", table: "builds"), .equal, SQLBind(number))
            }.first
        }
    }

    /// The newest build of each of `builderids` for each of the source stamps `sourceStampIDs` (through the
    /// buildsets that built the stamp), by stamp and builder: what a grid of changes by builders shows. One
    /// statement per batch, each following the indexes from stamps to buildsets, requests and builds.
    public func getBuilds(sourceStampIDs: [Int], builderids: [Int]) async throws -> [SourceStampBuild: Summary] {
        let stamps = Array(Set(sourceStampIDs))
        let builders = Array(Set(builderids))
        guard !stamps.isEmpty, !builders.isEmpty else { return [:] }
        return try await database.withTransaction { sql in
            let stamp = SQLColumn("sourcestampid", table: "buildset_sourcestamps")
            let build = { (column: String) in SQLColumn(column, table: "builds") }
            var newest: [SourceStampBuild: Int] = [:]
            for batch in Batches.of(builders) {
                for row in try await sql.select()
                    .column(stamp, as: "sourcestampid").column(build("builderid"), as: "builderid")
                    .column(SQLFunction("MAX", args: build("id")), as: "buildid")
                    .from("buildset_sourcestamps")
                    .join(
                        "buildrequests", on: SQLColumn("buildsetid", table: "buildrequests"), .equal,
                        SQLColumn("buildsetid", table: "buildset_sourcestamps")
                    )
                    .join("builds", on: build("buildrequestid"), .equal, SQLColumn("id", table: "buildrequests"))
                    .where(stamp, .in, SQLBind.group(stamps))
                    .where(build("builderid"), .in, SQLBind.group(Array(batch)))
                    .groupBy(stamp).groupBy(build("builderid")).all()
                {
                    let key = SourceStampBuild(
                        sourceStampID: try row.decode(column: "sourcestampid", as: Int.self),
                        builderID: try row.decode(column: "builderid", as: Int.self))
                    newest[key] = try row.decode(column: "buildid", as: Int.self)
                }
            }
            var builds: [Int: Summary] = [:]
            for batch in Batches.of(Array(Set(newest.values))) {
                for build in try await Self.summaries(
                    in: sql,
                    { query in
                        query.where(SQLColumn("id", table: "builds"), .in, SQLBind.group(Array(batch)))
                    })
                {
                    builds[build.id] = build
                }
            }
            return newest.compactMapValues { builds[$0] }
        }
    }

    /// A source stamp and a builder: a cell of the grid of changes by builders.
    public struct SourceStampBuild: Sendable, Hashable {
        public var sourceStampID: Int
        public var builderID: Int

        public init(sourceStampID: Int, builderID: Int) {
            self.sourceStampID = sourceStampID
            self.builderID = builderID
        }
    }

    /// The builds `refine` selects (it adds the conditions, order and paging), with their builder's and worker's
    /// names.
    private static func summaries(
        in sql: any SQLDatabase, _ refine: (SQLSelectBuilder) -> SQLSelectBuilder
    ) async throws -> [Summary] {
        let build = { (column: String) in SQLColumn(column, table: "builds") }
        let query = sql.select()
            .column(build("id"), as: "id").column(build("number"), as: "number")
            .column(build("builderid"), as: "builderid").column(SQLColumn("name", table: "builders"), as: "buildername")
            .column(build("buildrequestid"), as: "buildrequestid").column(build("workerid"), as: "workerid")
            .column(SQLColumn("name", table: "workers"), as: "workername")
            .column(build("started_at"), as: "started_at").column(build("complete_at"), as: "complete_at")
            .column(build("state_string"), as: "state_string").column(build("results"), as: "results")
            .from("builds")
            .join("builders", on: SQLColumn("id", table: "builders"), .equal, build("builderid"))
            .join(
                "workers", method: SQLJoinMethod.left, on: SQLColumn("id", table: "workers"), .equal, build("workerid"))
        return try await refine(query).all().map { row in
            Summary(
                id: try row.decode(column: "id", as: Int.self),
                number: try row.decode(column: "number", as: Int.self),
                builderID: try row.decode(column: "builderid", as: Int.self),
                builderName: try row.decode(column: "buildername", as: String.self),
                buildRequestID: try row.decode(column: "buildrequestid", as: Int.self),
                workerID: try row.decode(column: "workerid", as: Int?.self),
                workerName: try row.decode(column: "workername", as: String?.self),
                startedAt: Date(
                    timeIntervalSince1970: TimeInterval(try row.decode(column: "started_at", as: Int.self))),
                completeAt: try row.decode(column: "complete_at", as: Int?.self).map {
                    Date(timeIntervalSince1970: TimeInterval($0))
                },
                stateString: try row.decode(column: "state_string", as: String.self),
                results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)))
        }
    }
}
