public import Foundation
public import GantryModel
import SQLKit

extension BuildRequestsConnector {
    /// A build request as a listing shows it: with its builder's name, its buildset's reason, its claim, and the
    /// build it was collapsed into.
    public struct Listed: Sendable, Hashable {
        public var id: Int
        public var buildsetID: Int
        public var builderID: Int
        public var builderName: String
        public var reason: String?
        public var priority: Int
        public var submittedAt: Date
        public var completeAt: Date?
        public var results: BuildResult?
        /// The master holding its claim, with that master's name, and when it claimed it.
        public var claimedByMasterID: Int?
        public var claimedByMasterName: String?
        public var claimedAt: Date?
        /// The request it was collapsed into, with the id and number of that request's latest build (none
        /// while the build is being started).
        public var collapsedInto: Int?
        public var collapsedIntoBuildID: Int?
        public var collapsedIntoBuildNumber: Int?
    }

    /// One page of build requests, newest first: the waiting ones, or with `complete` the finished ones; and how
    /// many there are in all. One statement reads the page with its names and the builds of the requests they
    /// were collapsed into, whatever its size.
    /// - Parameters:
    ///   - offset: How many requests to skip (negative counts as 0).
    ///   - limit: The most to return (negative counts as 0).
    public func getBuildRequestPage(complete: Bool, offset: Int, limit: Int) async throws -> Page<Listed> {
        try await database.withTransaction { sql in
            let total =
                try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total")
                .from("buildrequests").where("complete", .equal, complete)
                .first(decodingColumn: "total", as: Int.self) ?? 0
            let request = { (column: String) in SQLColumn(column, table: "buildrequests") }
            let claim = { (column: String) in SQLColumn(column, table: "buildrequest_claims") }
            let build = { (column: String) in SQLColumn(column, table: "builds") }
            let latestBuild = sql.select().column(SQLFunction("MAX", args: SQLColumn("id", table: "latest")))
                .from("builds", as: "latest")
                .where(SQLColumn("buildrequestid", table: "latest"), .equal, request("collapsed_into"))
            let rows = try await sql.select()
                .column(request("id"), as: "id").column(request("buildsetid"), as: "buildsetid")
                .column(request("builderid"), as: "builderid").column(request("priority"), as: "priority")
                .column(request("submitted_at"), as: "submitted_at").column(request("complete_at"), as: "complete_at")
                .column(request("results"), as: "results")
                .column(SQLColumn("name", table: "builders"), as: "buildername")
                .column(SQLColumn("reason", table: "buildsets"), as: "reason")
                .column(claim("masterid"), as: "masterid").column(claim("claimed_at"), as: "claimed_at")
                .column(SQLColumn("name", table: "masters"), as: "mastername")
                .column(request("collapsed_into"), as: "collapsed_into")
                .column(build("id"), as: "buildid").column(build("number"), as: "buildnumber")
                .from("buildrequests")
                .join("builders", on: SQLColumn("id", table: "builders"), .equal, request("builderid"))
                .join("buildsets", on: SQLColumn("id", table: "buildsets"), .equal, request("buildsetid"))
                .join("buildrequest_claims", method: SQLJoinMethod.left, on: claim("brid"), .equal, request("id"))
                .join(
                    "masters", method: SQLJoinMethod.left, on: SQLColumn("id", table: "masters"), .equal,
                    claim("masterid")
                )
                .join(
                    "builds", method: SQLJoinMethod.left, on: build("id"), .equal, SQLGroupExpression(latestBuild.query)
                )
                .where(request("complete"), .equal, SQLBind(complete))
                .orderBy(request("id"), SQLDirection.descending)
                .limit(max(limit, 0)).offset(max(offset, 0))
                .all()
            return Page(items: try rows.map(Self.listed), total: total)
        }
    }

    private static func listed(_ row: any SQLRow) throws -> Listed {
        func date(_ column: String) throws -> Date? {
            try row.decode(column: column, as: Int?.self).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
        return Listed(
            id: try row.decode(column: "id", as: Int.self),
            buildsetID: try row.decode(column: "buildsetid", as: Int.self),
            builderID: try row.decode(column: "builderid", as: Int.self),
            builderName: try row.decode(column: "buildername", as: String.self),
            reason: try row.decode(column: "reason", as: String?.self),
            priority: try row.decode(column: "priority", as: Int.self),
            submittedAt: Date(
                timeIntervalSince1970: TimeInterval(try row.decode(column: "submitted_at", as: Int.self))),
            completeAt: try date("complete_at"),
            results: try row.decode(column: "results", as: Int?.self).flatMap(BuildResult.init(rawValue:)),
            claimedByMasterID: try row.decode(column: "masterid", as: Int?.self),
            claimedByMasterName: try row.decode(column: "mastername", as: String?.self),
            claimedAt: try date("claimed_at"),
            collapsedInto: try row.decode(column: "collapsed_into", as: Int?.self),
            collapsedIntoBuildID: try row.decode(column: "buildid", as: Int?.self),
            collapsedIntoBuildNumber: try row.decode(column: "buildnumber", as: Int?.self))
    }
}
