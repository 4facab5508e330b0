import Foundation
public import GantryModel
import SQLKit

/// Build requests and their claims. A claim is a row of `buildrequest_claims`, unique per request, so two
/// masters can never both hold one; claiming is all or nothing.
public struct BuildRequestsConnector: Sendable {
    let database: Database

    /// Which requests to return by their claim.
    public enum ClaimFilter: Sendable, Hashable {
        case any
        case claimed
        case unclaimed
        case claimedBy(masterid: Int)
    }

    /// The request `brid`; `nil` when there is none.
    public func getBuildRequest(_ brid: Int) async throws -> BuildRequest? {
        try await getBuildRequests(ids: [brid]).first
    }

    /// Build requests by id, with Buildbot's filters (and `builderids`: those of any of these builders).
    public func getBuildRequests(
        ids: [Int]? = nil,
        builderid: Int? = nil,
        builderids: [Int]? = nil,
        complete: Bool? = nil,
        claimed: ClaimFilter = .any,
        buildsetid: Int? = nil
    ) async throws -> [BuildRequest] {
        if ids?.isEmpty == true || builderids?.isEmpty == true { return [] }
        return try await database.withTransaction { sql in
            try await Self.requests(
                ids: ids, builderid: builderid, builderids: builderids, complete: complete, claimed: claimed,
                buildsetid: buildsetid, in: sql)
        }
    }

    static func requests(
        ids: [Int]?,
        builderid: Int? = nil,
        builderids: [Int]? = nil,
        complete: Bool? = nil,
        claimed: ClaimFilter = .any,
        buildsetid: Int? = nil,
        in sql: any SQLDatabase
    ) async throws -> [BuildRequest] {
        // PostgreSQL rejects `IN ()`; an empty list matches nothing anyway.
        if ids?.isEmpty == true || builderids?.isEmpty == true { return [] }
        let request = { (column: String) in SQLColumn(column, table: "buildrequests") }
        let query = selectRequests(in: sql).orderBy(request("id"))
        if let ids { query.where(request("id"), .in, SQLBind.group(ids)) }
        if let builderid { query.where("builderid", .equal, builderid) }
        if let builderids { query.where("builderid", .in, SQLBind.group(builderids)) }
        if let complete { query.where("complete", .equal, complete) }
        if let buildsetid { query.where("buildsetid", .equal, buildsetid) }
        let claimer = SQLColumn("masterid", table: "buildrequest_claims")
        switch claimed {
        case .any: break
        case .claimed: query.where(claimer, .isNot, SQLLiteral.null)
        case .unclaimed: query.where(claimer, .is, SQLLiteral.null)
        case .claimedBy(let masterid): query.where(claimer, .equal, SQLBind(masterid))
        }
        return try await query.all().map(Self.buildRequest)
    }

    /// One page of build requests, filtered, ordered and paged in the database (by id unless the spec orders
    /// otherwise), with the number of matches before paging. `claimed` is whether a master holds it.
    public func getBuildRequests(_ spec: ResultSpec<BuildRequestField>) async throws -> Page<BuildRequest> {
        let dialect = database.dialect
        let claimer = SQLColumn("masterid", table: "buildrequest_claims")
        let column = { (field: BuildRequestField) -> any SQLExpression in
            switch field {
            case .buildrequestid: SQLColumn("id", table: "buildrequests")
            case .claimedByMasterID: claimer
            case .claimedAt: SQLColumn("claimed_at", table: "buildrequest_claims")
            case .claimed: SQLBinaryExpression(left: claimer, op: SQLBinaryOperator.isNot, right: SQLLiteral.null)
            default: SQLColumn(field.rawValue, table: "buildrequests")
            }
        }
        return try await database.withTransaction { sql in
            func joined(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
                query.from("buildrequests").join(
                    "buildrequest_claims", method: SQLJoinMethod.left,
                    on: SQLColumn("brid", table: "buildrequest_claims"), .equal, SQLColumn("id", table: "buildrequests")
                )
            }
            // A request has at most one claim, so the join changes the count only through a filter on a claim's
            // field; without one, counting skips a lookup per request (over a long history, most of the cost).
            let claimFields: Set<BuildRequestField> = [.claimedByMasterID, .claimedAt, .claimed]
            let counted = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total")
            let count =
                spec.filters.contains { claimFields.contains($0.field) }
                ? joined(counted) : counted.from("buildrequests")
            spec.applyFilters(to: count, dialect: dialect, column: column)
            let total = try await count.first(decodingColumn: "total", as: Int.self) ?? 0
            let query = joined(sql.select().column(SQLColumn("id", table: "buildrequests"), as: "id"))
            spec.applyFilters(to: query, dialect: dialect, column: column)
            spec.applyPaging(to: query, tieBreak: SQLColumn("id", table: "buildrequests"), column: column)
            let ids = try await query.all(decodingColumn: "id", as: Int.self)
            let byID = Dictionary(
                uniqueKeysWithValues: try await Self.requests(ids: ids, in: sql).map { ($0.id, $0) })
            return Page(items: ids.compactMap { byID[$0] }, total: total)
        }
    }

    /// Claims every request of `brids` for `masterid`, or none of them.
    /// - Throws: `GantryError.alreadyClaimed` when any is claimed already (by anyone), complete or missing;
    ///   nothing is claimed then.
    public func claimBuildRequests(_ brids: [Int], masterid: Int) async throws {
        let wanted = Set(brids)
        guard !wanted.isEmpty else { return }
        let now = database.clock.epochSeconds()
        try await database.withTransaction { sql in
            let claimed = try await Self.insertClaims(wanted, masterid: masterid, now: now, in: sql)
            guard claimed == wanted else {
                let refused = wanted.subtracting(claimed).sorted().map(String.init).joined(separator: ", ")
                throw GantryError(.alreadyClaimed, "build requests already claimed, complete or missing: \(refused)")
            }
            try await EventsConnector.record(
                FeedChanges(.buildrequests, wanted.sorted(), "claimed"), in: sql, database: database)
        }
    }

    /// Claims for `masterid` those of `brids` that are incomplete and claimed by no one, in the caller's
    /// transaction.
    /// - Returns: The requests it claimed.
    static func insertClaims(
        _ brids: Set<Int>, masterid: Int, now: Int, in sql: any SQLDatabase
    ) async throws -> Set<Int> {
        var claimed: Set<Int> = []
        for batch in Batches.of(brids.sorted()) {
            // Only incomplete requests; the unique claim per request turns a racing claim into no row.
            let rows = try await sql.insert(into: "buildrequest_claims")
                .columns("brid", "masterid", "claimed_at")
                .select { select in
                    select.column("id").column(SQLBind(masterid)).column(SQLBind(now))
                        .from("buildrequests")
                        .where("id", .in, SQLBind.group(Array(batch)))
                        .where("complete", .equal, false)
                }
                .ignoringConflicts(with: ["brid"])
                .returning("brid")
                .all(decodingColumn: "brid", as: Int.self)
            claimed.formUnion(rows)
        }
        return claimed
    }

    /// Releases `masterid`'s own claims on those of `brids` that are not complete, and on the requests collapsed
    /// into them; others' claims and complete requests are left alone.
    public func unclaimBuildRequests(_ brids: [Int], masterid: Int) async throws {
        guard !brids.isEmpty else { return }
        try await database.withTransaction { sql in
            let events = try await Self.unclaim(brids, masterid: masterid, in: sql)
            try await EventsConnector.record(events, in: sql, database: database)
        }
    }

    /// `unclaimBuildRequests` inside a caller's transaction. A request released is collapsed into none any more.
    /// - Returns: The `unclaimed` events of the requests released.
    static func unclaim(_ brids: [Int], masterid: Int, in sql: any SQLDatabase) async throws -> FeedChanges {
        let collapsed = try await collapsedRequests(into: brids, in: sql)
        var released: [Int] = []
        for batch in Batches.of(Set(brids + collapsed).sorted()) {
            released += try await sql.delete(from: "buildrequest_claims")
                .where("brid", .in, SQLBind.group(Array(batch)))
                .where("masterid", .equal, masterid)
                .where(
                    SQLColumn("brid"), .in,
                    SQLGroupExpression(
                        sql.select().column("id").from("buildrequests").where("complete", .equal, false).query)
                )
                .returning("brid").all(decodingColumn: "brid", as: Int.self)
        }
        try await forgetCollapse(of: released, in: sql)
        return FeedChanges(.buildrequests, released.sorted(), "unclaimed")
    }

    /// Completes the requests with `results`; each must be incomplete and claimed by `masterid`. The requests
    /// collapsed into them are completed SKIPPED, as Buildbot marks them, or handed back when the build was
    /// cancelled. A buildset whose requests are now all
    /// complete is completed in the same transaction, with their worst result.
    /// - Throws: `GantryError.conflict` naming the requests that were not claimed by this master or already
    ///   complete; nothing is changed then.
    public func completeBuildRequests(_ brids: [Int], results: BuildResult, masterid: Int) async throws {
        let wanted = Set(brids)
        guard !wanted.isEmpty else { return }
        let now = database.clock.epochSeconds()
        try await database.withTransaction { sql in
            let events = try await Self.complete(wanted, results: results, masterid: masterid, now: now, in: sql)
            try await EventsConnector.record(events, in: sql, database: database)
        }
        await database.notifier.post(.buildsetsComplete)
    }

    /// `completeBuildRequests` inside a caller's transaction (a build's end completes its request in the same
    /// one); the caller posts `buildsetsComplete` after it commits.
    /// - Returns: The `complete` events of the requests and of the buildsets they completed.
    static func complete(
        _ wanted: Set<Int>, results: BuildResult, masterid: Int, now: Int, in sql: any SQLDatabase
    ) async throws -> FeedChanges {
        let completed = try await completeClaimed(
            where: "id", in: wanted, results: results, masterid: masterid, now: now, in: sql)
        guard completed == wanted else {
            let refused = wanted.subtracting(completed).sorted().map(String.init).joined(separator: ", ")
            throw GantryError(.conflict, "build requests not claimed by this master or already complete: \(refused)")
        }
        if results == .cancelled {
            // A cancelled build built nothing for the requests collapsed into it: they wait for a build of their own.
            let collapsed = try await collapsedRequests(into: wanted.sorted(), in: sql)
            var events = FeedChanges(.buildrequests, wanted.sorted(), "complete")
            events.add(try await unclaim(collapsed, masterid: masterid, in: sql))
            events.add(try await completeFinishedBuildsets(of: wanted.sorted(), now: now, in: sql))
            return events
        }
        let collapsed = try await completeCollapsed(into: wanted, masterid: masterid, now: now, in: sql)
        var events = FeedChanges(.buildrequests, wanted.sorted() + collapsed, "complete")
        events.add(try await completeFinishedBuildsets(of: wanted.sorted() + collapsed, now: now, in: sql))
        return events
    }

    /// Completes with `results` the incomplete requests whose `column` is one of `values` and that `masterid`
    /// claims, in the caller's transaction.
    /// - Returns: Their ids.
    static func completeClaimed(
        where column: String, in values: Set<Int>, results: BuildResult, masterid: Int, now: Int,
        in sql: any SQLDatabase
    ) async throws -> Set<Int> {
        var completed: Set<Int> = []
        for batch in Batches.of(values.sorted()) {
            let rows = try await sql.update("buildrequests")
                .set("complete", to: true).set("results", to: results.rawValue).set("complete_at", to: now)
                .where(SQLColumn(column), .in, SQLBind.group(Array(batch)))
                .where("complete", .equal, false)
                .where(
                    SQLColumn("id"), .in,
                    SQLGroupExpression(
                        sql.select().column("brid").from("buildrequest_claims")
                            .where("masterid", .equal, masterid).query)
                )
                .returning("id")
                .all(decodingColumn: "id", as: Int.self)
            completed.formUnion(rows)
        }
        return completed
    }

    /// Completes the unfinished requests `masterid` holds whose build already has a final result other than
    /// RETRY, with that result, so releasing the master's claims never hands a built request to be built again.
    /// - Returns: The `complete` events of the requests and of the buildsets they completed.
    static func completeBuilt(by masterid: Int, now: Int, in sql: any SQLDatabase) async throws -> FeedChanges {
        let rows = try await sql.select()
            .column(SQLColumn("id", table: "buildrequests"), as: "brid")
            .column(SQLColumn("results", table: "builds"), as: "results")
            .from("buildrequests")
            .join(
                "buildrequest_claims", on: SQLColumn("brid", table: "buildrequest_claims"), .equal,
                SQLColumn("id", table: "buildrequests")
            )
            .join(
                "builds", on: SQLColumn("buildrequestid", table: "builds"), .equal,
                SQLColumn("id", table: "buildrequests")
            )
            .where(Dialect.unindexed("buildrequest_claims.masterid"), .equal, SQLBind(masterid))
            .where(SQLColumn("complete", table: "buildrequests"), .equal, SQLBind(false))
            .where(SQLColumn("complete_at", table: "builds"), .isNot, SQLLiteral.null)
            .where(SQLColumn("results", table: "builds"), .notEqual, SQLBind(BuildResult.retry.rawValue))
            .orderBy(SQLColumn("id", table: "builds"))
            .all()
        var resultsByRequest: [Int: BuildResult] = [:]
        for row in rows {
            let results = try row.decode(column: "results", as: Int.self)
            resultsByRequest[try row.decode(column: "brid", as: Int.self)] =
                BuildResult(rawValue: results) ?? .exception
        }
        var events = FeedChanges()
        for (brid, results) in resultsByRequest.sorted(by: { $0.key < $1.key }) {
            events.add(try await complete([brid], results: results, masterid: masterid, now: now, in: sql))
        }
        return events
    }

    /// What cancelling a request did.
    public enum Cancellation: Sendable, Equatable {
        /// It was waiting, or collapsed into another's build; it is complete, CANCELLED.
        case cancelled
        /// It was building; its build was asked to stop and will end CANCELLED.
        case stopping
    }

    /// Cancels request `brid`. One waiting is claimed by `masterid` and completed CANCELLED in one transaction,
    /// so the claim's unique constraint decides against a master starting it at the same moment; one collapsed
    /// into another's build is completed CANCELLED on its own, leaving that build alone; one building has its
    /// build asked to stop (see `BuildsConnector.requestBuildStop`).
    /// - Throws: `GantryError.notFound`, or `.conflict` when it is complete or claimed but not yet building.
    public func cancelBuildRequest(_ brid: Int, reason: String, masterid: Int) async throws -> Cancellation {
        let now = database.clock.epochSeconds()
        let outcome: Cancellation = try await database.withTransaction { sql in
            let claimed = try await !Self.insertClaims([brid], masterid: masterid, now: now, in: sql).isEmpty
            var detached = false
            if claimed {
                try await sql.update("buildrequests")
                    .set("complete", to: true).set("results", to: BuildResult.cancelled.rawValue)
                    .set("complete_at", to: now).where("id", .equal, brid).run()
            } else {
                detached = try await Self.detachCollapsed(brid, results: .cancelled, now: now, in: sql)
            }
            if claimed || detached {
                var events = FeedChanges(.buildrequests, [brid], "cancelled")
                events.add(.buildrequests, [brid], "complete")
                events.add(try await Self.completeFinishedBuildsets(of: [brid], now: now, in: sql))
                try await EventsConnector.record(events, in: sql, database: database)
                return .cancelled
            }
            guard let request = try await Self.requests(ids: [brid], in: sql).first else {
                throw GantryError(.notFound, "no build request with id '\(brid)'")
            }
            guard !request.complete else { throw GantryError(.conflict, "build request \(brid) is already complete") }
            let stopping = try await sql.update("builds").set("stop_reason", to: reason)
                .where("buildrequestid", .equal, brid).where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                .returning("id").all(decodingColumn: "id", as: Int.self)
            guard !stopping.isEmpty else {
                throw GantryError(.conflict, "build request \(brid) is being started; try again in a moment")
            }
            return .stopping
        }
        await database.notifier.post(outcome == .cancelled ? .buildsetsComplete : .buildsStop)
        return outcome
    }

    /// Completes each buildset of `brids` that ``BuildsetCompletion`` finds complete, in the caller's transaction.
    /// - Returns: Their `complete` events.
    private static func completeFinishedBuildsets(
        of brids: [Int], now: Int, in sql: any SQLDatabase
    ) async throws -> FeedChanges {
        var buildsets: Set<Int> = []
        for batch in Batches.of(brids) {
            buildsets.formUnion(
                try await sql.select().column("buildsetid").from("buildrequests")
                    .where("id", .in, SQLBind.group(Array(batch)))
                    .all(decodingColumn: "buildsetid", as: Int.self))
        }
        var completed: [Int] = []
        for bsid in buildsets.sorted() {
            let requests = try await sql.select().columns("complete", "results").from("buildrequests")
                .where("buildsetid", .equal, bsid).all()
                .map { row in
                    BuildsetCompletion.Request(
                        complete: try row.decode(column: "complete", as: Bool.self),
                        results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)))
                }
            guard let results = BuildsetCompletion.results(of: requests) else { continue }
            if try await BuildsetsConnector.complete(bsid, results: results, now: now, in: sql) {
                completed.append(bsid)
            }
        }
        return FeedChanges(.buildsets, completed, "complete")
    }

    /// The data-API resources of requests `ids`, read in the caller's transaction.
    static func resources(_ ids: [Int], in sql: any SQLDatabase) async throws -> [Int: JSONValue] {
        Dictionary(uniqueKeysWithValues: try await requests(ids: ids, in: sql).map { ($0.id, $0.resource) })
    }

    /// A query of build requests with their claims, each row read by ``buildRequest(_:)``.
    static func selectRequests(in sql: any SQLDatabase) -> SQLSelectBuilder {
        sql.select()
            .column(SQLColumn("id", table: "buildrequests"))
            .columns("buildsetid", "builderid", "priority", "complete", "results", "submitted_at")
            .columns("complete_at", "waited_for", "collapsed_into")
            .column(SQLColumn("masterid", table: "buildrequest_claims"))
            .column(SQLColumn("claimed_at", table: "buildrequest_claims"))
            .from("buildrequests")
            .join(
                "buildrequest_claims", method: SQLJoinMethod.left,
                on: SQLColumn("brid", table: "buildrequest_claims"), .equal, SQLColumn("id", table: "buildrequests")
            )
    }

    static func buildRequest(_ row: any SQLRow) throws -> BuildRequest {
        BuildRequest(
            id: try row.decode(column: "id", as: Int.self),
            buildsetID: try row.decode(column: "buildsetid", as: Int.self),
            builderID: try row.decode(column: "builderid", as: Int.self),
            priority: try row.decode(column: "priority", as: Int.self),
            complete: try row.decode(column: "complete", as: Bool.self),
            results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)),
            submittedAt: Date(
                timeIntervalSince1970: TimeInterval(try row.decode(column: "submitted_at", as: Int.self))),
            completeAt: try row.decode(column: "complete_at", as: Int?.self).map {
                Date(timeIntervalSince1970: TimeInterval($0))
            },
            waitedFor: try row.decode(column: "waited_for", as: Bool.self),
            claimedByMasterID: try row.decode(column: "masterid", as: Int?.self),
            claimedAt: try row.decode(column: "claimed_at", as: Int?.self).map {
                Date(timeIntervalSince1970: TimeInterval($0))
            },
            collapsedInto: try row.decode(column: "collapsed_into", as: Int?.self)
        )
    }
}

extension Database {
    /// The build requests connector of this database.
    public var buildRequests: BuildRequestsConnector { BuildRequestsConnector(database: self) }
}
