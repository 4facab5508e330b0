import Foundation
public import GantryModel
import SQLKit

/// Buildsets and their build requests. Adding a buildset for a scheduler is fenced by the scheduler's claim,
/// and may store the scheduler's state in the same transaction, so a buildset and the state saying it was made
/// are never separated.
public struct BuildsetsConnector: Sendable {
    let database: Database

    /// A state write to make in the same transaction as the buildset.
    public struct StateWrite: Sendable {
        public var objectID: Int
        public var key: String
        public var value: JSONValue

        public init(objectID: Int, key: String, value: JSONValue) {
            self.objectID = objectID
            self.key = key
            self.value = value
        }
    }

    /// Adds a buildset with one build request per builder.
    ///
    /// - Parameters:
    ///   - fence: The claim of the scheduler adding it; when it is no longer current, `GantryError.fenced` and
    ///     nothing is written.
    ///   - properties: `name: [value, source]` pairs.
    ///   - state: A state write committed together with the buildset.
    /// Posts `buildrequests/new` once committed, when it added requests.
    /// - Returns: The buildset id and the request id per builder id.
    public func addBuildset(
        fence: ClaimFence? = nil,
        reason: String,
        builderids: [Int],
        properties: [String: JSONValue] = [:],
        externalIDString: String? = nil,
        priority: Int = 0,
        waitedFor: Bool = false,
        state: StateWrite? = nil
    ) async throws -> (buildsetID: Int, requestIDs: [Int: Int]) {
        let now = database.clock.epochSeconds()
        let dialect = database.dialect
        let added = try await database.withTransaction { sql in
            if let fence { try await ServiceClaims(kind: fence.kind, dialect: dialect).requireCurrent(fence, in: sql) }
            guard
                let buildsetID = try await sql.insert(into: "buildsets")
                    .columns("external_idstring", "reason", "submitted_at", "complete", "schedulerid")
                    .values(
                        SQLBind(externalIDString),
                        SQLBind(reason),
                        SQLBind(now),
                        SQLBind(builderids.isEmpty),
                        SQLBind(fence?.kind == .scheduler ? fence?.serviceID : nil)
                    )
                    .returning("id")
                    .first(decodingColumn: "id", as: Int.self)
            else { throw StorageInvariantError("buildset insert returned no id") }
            for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
                try await sql.insert(into: "buildset_properties")
                    .columns("buildsetid", "property_name", "property_value")
                    .values(SQLBind(buildsetID), SQLBind(name), SQLBind(value.jsonText))
                    .run()
            }
            var requestIDs: [Int: Int] = [:]
            for builderid in Set(builderids).sorted() {
                requestIDs[builderid] = try await sql.insert(into: "buildrequests")
                    .columns("buildsetid", "builderid", "priority", "submitted_at", "waited_for")
                    .values(
                        SQLBind(buildsetID), SQLBind(builderid), SQLBind(priority), SQLBind(now), SQLBind(waitedFor)
                    )
                    .returning("id")
                    .first(decodingColumn: "id", as: Int.self)
            }
            if let state {
                _ = try await StateConnector.write(
                    state.objectID, state.key, state.value, expectedVersion: nil, in: sql)
            }
            return (buildsetID: buildsetID, requestIDs: requestIDs)
        }
        if !added.requestIDs.isEmpty { await database.notifier.post(.buildrequestsNew) }
        return added
    }

    /// Buildsets by id, optionally only those a scheduler added.
    public func getBuildsets(schedulerid: Int? = nil) async throws -> [Buildset] {
        try await database.withTransaction { sql in
            let query = sql.select()
                .columns("id", "reason", "external_idstring", "submitted_at", "complete", "schedulerid")
                .from("buildsets")
                .orderBy("id")
            if let schedulerid { query.where("schedulerid", .equal, schedulerid) }
            let propertyRows = sql.select().columns("buildsetid", "property_name", "property_value")
                .from("buildset_properties")
            if let schedulerid {
                propertyRows.where(
                    SQLColumn("buildsetid"),
                    .in,
                    SQLGroupExpression(
                        sql.select().column("id").from("buildsets").where("schedulerid", .equal, schedulerid).query
                    )
                )
            }
            var properties: [Int: [String: JSONValue]] = [:]
            for row in try await propertyRows.all() {
                properties[try row.decode(column: "buildsetid", as: Int.self), default: [:]][
                    try row.decode(column: "property_name", as: String.self)
                ] = try JSONValue(json: try row.decode(column: "property_value", as: String.self))
            }
            return try await query.all().map { row in
                let id = try row.decode(column: "id", as: Int.self)
                return Buildset(
                    id: id,
                    reason: try row.decode(column: "reason", as: String?.self),
                    externalIDString: try row.decode(column: "external_idstring", as: String?.self),
                    submittedAt: Date(
                        timeIntervalSince1970: TimeInterval(try row.decode(column: "submitted_at", as: Int.self))),
                    complete: try row.decode(column: "complete", as: Bool.self),
                    schedulerID: try row.decode(column: "schedulerid", as: Int?.self),
                    properties: properties[id] ?? [:]
                )
            }
        }
    }

    /// Build requests by id, with their claiming master.
    public func getBuildRequests(buildsetid: Int? = nil, complete: Bool? = nil) async throws -> [BuildRequest] {
        try await database.withTransaction { sql in
            let query = sql.select()
                .column(SQLColumn("id", table: "buildrequests"))
                .columns("buildsetid", "builderid", "priority", "complete", "submitted_at")
                .column(SQLColumn("masterid", table: "buildrequest_claims"))
                .from("buildrequests")
                .join(
                    "buildrequest_claims",
                    method: SQLJoinMethod.left,
                    on: SQLColumn("brid", table: "buildrequest_claims"), .equal, SQLColumn("id", table: "buildrequests")
                )
                .orderBy(SQLColumn("id", table: "buildrequests"))
            if let buildsetid { query.where("buildsetid", .equal, buildsetid) }
            if let complete { query.where("complete", .equal, complete) }
            return try await query.all().map { row in
                BuildRequest(
                    id: try row.decode(column: "id", as: Int.self),
                    buildsetID: try row.decode(column: "buildsetid", as: Int.self),
                    builderID: try row.decode(column: "builderid", as: Int.self),
                    priority: try row.decode(column: "priority", as: Int.self),
                    complete: try row.decode(column: "complete", as: Bool.self),
                    submittedAt: Date(
                        timeIntervalSince1970: TimeInterval(try row.decode(column: "submitted_at", as: Int.self))),
                    claimedByMasterID: try row.decode(column: "masterid", as: Int?.self)
                )
            }
        }
    }
}

extension Database {
    /// The buildsets connector of this database.
    public var buildsets: BuildsetsConnector { BuildsetsConnector(database: self) }
}
