public import GantryModel
import SQLKit

/// Collapsing (Buildbot's `collapseRequests`): the master starting a build claims, in the same transaction, the
/// builder's pending requests that ask for the same thing, records each as collapsed into the request the build
/// runs, and completes them SKIPPED when that build ends (or hands them back with it).
extension BuildRequestsConnector {
    /// What claiming a request to build it took.
    public struct Claim: Sendable, Hashable {
        /// The request the build runs: the one claimed, or the newest of the requests collapsed with it.
        public var built: BuildRequest
        /// The other requests claimed, collapsed into `built`, by id.
        public var merged: [Int]
    }

    /// How many of a builder's pending requests, oldest first, one claim considers collapsing: a bound on the
    /// statements, not on the queue, whose newer requests collapse into a later build.
    static let collapseWindow = 500

    /// Claims request `brid` for `masterid` to start its build and, as `rule` allows, every pending request of
    /// its builder that collapses with it, all in one transaction. The build runs the newest of them, so the
    /// latest source is built; the others are recorded as collapsed into it. A request another master claims
    /// meanwhile is simply left out; the claim of `brid` itself is exclusive, as with
    /// ``claimBuildRequests(_:masterid:)``.
    /// - Throws: `GantryError.alreadyClaimed` when `brid` is claimed already (by anyone), complete or missing;
    ///   nothing is claimed then.
    public func claimBuildRequest(_ brid: Int, masterid: Int, collapsing rule: CollapseRule) async throws -> Claim {
        let now = database.clock.epochSeconds()
        let dialect = database.dialect
        return try await database.withTransaction { sql in
            let refused = GantryError(.alreadyClaimed, "build requests already claimed, complete or missing: \(brid)")
            // Its builder only matters to collapsing.
            var builderid = 0
            if rule.enabled {
                guard
                    let id = try await sql.select().column("builderid").from("buildrequests")
                        .where("id", .equal, brid).first(decodingColumn: "builderid", as: Int.self)
                else { throw refused }
                builderid = id
            }
            if rule.enabled, let lock = dialect.updateLock {
                // Collapsing claims on one builder take turns: two masters each holding a claim the other
                // wants would wait on each other.
                _ = try await sql.select().column("id").from("builders").where("id", .equal, builderid)
                    .lockingClause(lock).first()
            }
            guard try await Self.insertClaims([brid], masterid: masterid, now: now, in: sql) == [brid] else {
                throw refused
            }
            var group = CollapseGroup(built: brid, merged: [])
            if rule.enabled {
                group = try await Self.collapse(
                    brid, builderid: builderid, rule: rule, masterid: masterid, now: now, in: sql)
            }
            guard let built = try await Self.requests(ids: [group.built], in: sql).first else {
                throw StorageInvariantError("claimed build request \(group.built) vanished")
            }
            // The request built was just read whole: its event needs no second read.
            var events = FeedChanges()
            for id in Set(group.merged + [group.built]).sorted() {
                if id == built.id {
                    events.add(key: "buildrequests/\(id)/claimed", payload: built.resource)
                } else {
                    events.add(.buildrequests, [id], "claimed")
                }
            }
            try await EventsConnector.record(events, in: sql, database: database)
            return Claim(built: built, merged: group.merged)
        }
    }

    /// Claims for `masterid` the pending requests of `builderid` that collapse with `brid` (claimed in this
    /// transaction already) and records them collapsed into the one built.
    /// - Returns: The group as claimed.
    private static func collapse(
        _ brid: Int, builderid: Int, rule: CollapseRule, masterid: Int, now: Int, in sql: any SQLDatabase
    ) async throws -> CollapseGroup {
        let request = { (column: String) in SQLColumn(column, table: "buildrequests") }
        let claim = SQLColumn("brid", table: "buildrequest_claims")
        let pendingIDs = try await sql.select().column(request("id"), as: "id")
            .from("buildrequests")
            .join("buildrequest_claims", method: SQLJoinMethod.left, on: claim, .equal, request("id"))
            .where(request("builderid"), .equal, SQLBind(builderid))
            .where(request("complete"), .equal, SQLBind(false))
            .where(claim, .is, SQLLiteral.null)
            .orderBy(request("id"))
            .limit(collapseWindow)
            .all(decodingColumn: "id", as: Int.self)
        guard !pendingIDs.isEmpty else { return CollapseGroup(built: brid, merged: []) }
        let candidates = try await collapseCandidates([brid] + pendingIDs, in: sql)
        guard let claimed = candidates[brid] else {
            throw StorageInvariantError("claimed build request \(brid) vanished")
        }
        let pending = pendingIDs.compactMap { candidates[$0] }
        var group = rule.group(for: claimed, among: pending)
        let wanted = Set(group.merged + [group.built]).subtracting([brid])
        let taken = try await insertClaims(wanted, masterid: masterid, now: now, in: sql)
        if taken != wanted {
            // Another master claimed some meanwhile: collapse what this claim holds, and release the rest.
            group = rule.group(for: claimed, among: pending.filter { taken.contains($0.id) })
            let surplus = taken.subtracting(group.merged + [group.built])
            for batch in Batches.of(surplus.sorted()) {
                try await sql.delete(from: "buildrequest_claims").where("brid", .in, SQLBind.group(Array(batch)))
                    .where("masterid", .equal, masterid).run()
            }
        }
        for batch in Batches.of(group.merged) {
            try await sql.update("buildrequests").set("collapsed_into", to: group.built)
                .where("id", .in, SQLBind.group(Array(batch))).run()
        }
        return group
    }

    /// Requests `ids` as collapsing compares them, by id: their buildsets' source stamps (with whether changes
    /// name them) and properties. A few statements per batch of ids.
    private static func collapseCandidates(
        _ ids: [Int], in sql: any SQLDatabase
    ) async throws -> [Int: CollapseCandidate] {
        var buildsetOf: [Int: Int] = [:]
        for batch in Batches.of(ids) {
            for row in try await sql.select().columns("id", "buildsetid").from("buildrequests")
                .where("id", .in, SQLBind.group(Array(batch))).all()
            {
                let id = try row.decode(column: "id", as: Int.self)
                buildsetOf[id] = try row.decode(column: "buildsetid", as: Int.self)
            }
        }
        // The source stamps of each buildset: their ids, codebases and fields.
        var stamps: [Int: [(id: Int, codebase: String, source: CollapseCandidate.Source)]] = [:]
        var properties: [Int: [String: JSONValue]] = [:]
        let stamp = { (column: String) in SQLColumn(column, table: "sourcestamps") }
        for batch in Batches.of(Set(buildsetOf.values).sorted()) {
            let rows = try await sql.select()
                .column(SQLColumn("buildsetid", table: "buildset_sourcestamps"), as: "buildsetid")
                .column(stamp("id"), as: "id").column(stamp("codebase"), as: "codebase")
                .column(stamp("repository"), as: "repository").column(stamp("branch"), as: "branch")
                .column(stamp("project"), as: "project").column(stamp("revision"), as: "revision")
                .column(stamp("patchid"), as: "patchid")
                .from("buildset_sourcestamps")
                .join(
                    "sourcestamps", on: stamp("id"), .equal, SQLColumn("sourcestampid", table: "buildset_sourcestamps")
                )
                .where(SQLColumn("buildsetid", table: "buildset_sourcestamps"), .in, SQLBind.group(Array(batch)))
                .all()
            for row in rows {
                let source = CollapseCandidate.Source(
                    repository: try row.decode(column: "repository", as: String.self),
                    branch: try row.decode(column: "branch", as: String?.self),
                    project: try row.decode(column: "project", as: String.self),
                    revision: try row.decode(column: "revision", as: String?.self),
                    patched: try row.decode(column: "patchid", as: Int?.self) != nil)
                let id = try row.decode(column: "id", as: Int.self)
                let codebase = try row.decode(column: "codebase", as: String.self)
                stamps[try row.decode(column: "buildsetid", as: Int.self), default: []].append(
                    (id: id, codebase: codebase, source: source))
            }
            for row in try await sql.select().columns("buildsetid", "property_name", "property_value")
                .from("buildset_properties").where("buildsetid", .in, SQLBind.group(Array(batch))).all()
            {
                properties[try row.decode(column: "buildsetid", as: Int.self), default: [:]][
                    try row.decode(column: "property_name", as: String.self)
                ] = try JSONValue(json: try row.decode(column: "property_value", as: String.self))
            }
        }
        var withChanges: Set<Int> = []
        for batch in Batches.of(Set(stamps.values.flatMap { $0.map(\.id) }).sorted()) {
            withChanges.formUnion(
                try await sql.select().distinct().column("sourcestampid").from("changes")
                    .where("sourcestampid", .in, SQLBind.group(Array(batch)))
                    .all(decodingColumn: "sourcestampid", as: Int.self))
        }
        var candidates: [Int: CollapseCandidate] = [:]
        for (id, buildset) in buildsetOf {
            var sources: [String: CollapseCandidate.Source] = [:]
            for entry in stamps[buildset] ?? [] {
                var source = entry.source
                source.hasChanges = withChanges.contains(entry.id)
                sources[entry.codebase] = source
            }
            candidates[id] = CollapseCandidate(
                id: id, buildsetID: buildset, sources: sources, buildsetProperties: properties[buildset] ?? [:])
        }
        return candidates
    }

    /// Completes SKIPPED (Buildbot's mark) the incomplete requests `masterid` claimed collapsed into `brids`, in
    /// the caller's transaction: the build of those has ended.
    /// - Returns: Their ids.
    static func completeCollapsed(
        into brids: Set<Int>, masterid: Int, now: Int, in sql: any SQLDatabase
    ) async throws -> [Int] {
        try await completeClaimed(
            where: "collapsed_into", in: brids, results: .skipped, masterid: masterid, now: now, in: sql
        ).sorted()
    }

    /// The incomplete requests collapsed into `brids`, in the caller's transaction.
    static func collapsedRequests(into brids: [Int], in sql: any SQLDatabase) async throws -> [Int] {
        var collapsed: [Int] = []
        for batch in Batches.of(Set(brids).sorted()) {
            collapsed += try await sql.select().column("id").from("buildrequests")
                .where("collapsed_into", .in, SQLBind.group(Array(batch)))
                .where("complete", .equal, false)
                .all(decodingColumn: "id", as: Int.self)
        }
        return collapsed
    }

    /// Records requests `brids`, released from their claims, as collapsed into none, in the caller's transaction.
    static func forgetCollapse(of brids: [Int], in sql: any SQLDatabase) async throws {
        for batch in Batches.of(Set(brids).sorted()) {
            try await sql.update("buildrequests").set("collapsed_into", to: SQLLiteral.null)
                .where("id", .in, SQLBind.group(Array(batch)))
                .where(SQLColumn("collapsed_into"), .isNot, SQLLiteral.null)
                .run()
        }
    }

    /// Completes request `brid` with `results` on its own when it is incomplete and collapsed into another's build,
    /// which goes on; in the caller's transaction.
    /// - Returns: Whether it was.
    static func detachCollapsed(
        _ brid: Int, results: BuildResult, now: Int, in sql: any SQLDatabase
    ) async throws -> Bool {
        try await !sql.update("buildrequests")
            .set("complete", to: true).set("results", to: results.rawValue).set("complete_at", to: now)
            .set("collapsed_into", to: SQLLiteral.null)
            .where("id", .equal, brid).where("complete", .equal, false)
            .where(SQLColumn("collapsed_into"), .isNot, SQLLiteral.null)
            .returning("id").all().isEmpty
    }
}
