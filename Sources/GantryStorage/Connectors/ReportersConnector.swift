public import Foundation
public import GantryModel
import SQLKit

/// Reporters' claims and outboxes: how far each reporter has read the event feed, and the deliveries it queued.
///
/// The master holding a reporter's claim turns feed events into deliveries and moves its cursor in one
/// transaction, so an event's reports are queued exactly once; it then sends the deliveries and records how each
/// went. Every write on a reporter's behalf requires its claim's fence, so a deposed master changes nothing, and
/// the next holder finds the outbox as the last one left it.
public struct ReportersConnector: Sendable {
    let database: Database
    var claims: ServiceClaims { ServiceClaims(kind: .reporter, dialect: database.dialect) }

    /// How many deliveries one housekeeping transaction deletes at most.
    static let deleteBatch = 1_000

    /// The error a delivery is marked with when its master died while sending it to a target that must not get
    /// it twice.
    static let interruptedError = "the master sending it stopped; not sent again (the target is not idempotent)"

    /// The id of the reporter called `name` (case-sensitive), registering it when new.
    public func findReporterId(_ name: String) async throws -> Int {
        try await database.claims(.reporter).findServiceId(name)
    }

    /// The last feed event the reporter has turned into deliveries. A reporter that never ran starts at the newest
    /// event (or the highest trimmed one), recorded now, so it reports what happens from here on and never replays
    /// the history before it was configured.
    /// - Throws: `GantryError.fenced` when `fence` is no longer current; nothing is recorded then.
    public func cursor(_ fence: ClaimFence) async throws -> Int {
        return try await database.withTransaction { sql in
            try await claims.requireCurrent(fence, in: sql)
            guard
                let row = try await sql.select().column("event_cursor").from("reporters")
                    .where("id", .equal, fence.serviceID).first()
            else { throw GantryError(.notFound, "no reporter with id \(fence.serviceID)") }
            if let cursor = try row.decode(column: "event_cursor", as: Int?.self) { return cursor }
            let start = try await EventsConnector.latestEventID(in: sql)
            try await sql.update("reporters").set("event_cursor", to: start)
                .where("id", .equal, fence.serviceID).run()
            return start
        }
    }

    /// Queues `reports` (pending, due at `now`) and moves the reporter's cursor from `from` (as ``cursor(_:)`` or
    /// the last call left it) to `to`, in one transaction: the reports of the events up to `to` are queued together
    /// with the cursor that says so.
    /// - Throws: `GantryError.fenced` when `fence` is no longer current; `GantryError.conflict` when the cursor is
    ///   no longer at `from` (another writer moved it). Nothing is queued or moved then.
    public func enqueue(_ reports: [QueuedReport], fence: ClaimFence, from: Int, to: Int, now: Date) async throws {
        guard to >= from else {
            throw GantryError(.invalidArgument, "a reporter's cursor moves forward, not from \(from) to \(to)")
        }
        let seconds = now.epochSeconds
        try await database.withTransaction { sql in
            try await claims.requireCurrent(fence, in: sql)
            let moved = try await sql.update("reporters").set("event_cursor", to: to)
                .where("id", .equal, fence.serviceID).where("event_cursor", .equal, from)
                .returning("id").all()
            guard !moved.isEmpty else {
                throw GantryError(
                    .conflict,
                    "the event cursor of reporter \(fence.serviceID) is no longer at \(from); nothing was queued")
            }
            // Ten values bound per delivery.
            for batch in Batches.of(reports, size: Batches.size / 10) {
                let insert = sql.insert(into: "reporter_deliveries")
                    .columns(
                        "reporterid", "eventid", "report_index", "target", "payload", "state", "attempts",
                        "next_attempt_at", "created_at", "event_at"
                    )
                for report in batch {
                    insert.values(
                        SQLBind(fence.serviceID), SQLBind(report.eventID), SQLBind(report.index),
                        SQLBind(report.target), SQLBind(report.payload.jsonText),
                        SQLBind(DeliveryState.pending.rawValue), SQLBind(0),
                        SQLBind(seconds), SQLBind(seconds), SQLBind(report.eventAt.epochSeconds)
                    )
                }
                try await insert.run()
            }
        }
    }

    /// Up to `limit` deliveries of the reporter that are pending and due at `now`, oldest first.
    public func due(_ reporterid: Int, now: Date, limit: Int) async throws -> [Delivery] {
        guard limit > 0 else { return [] }
        return try await database.withTransaction { sql in
            try await Self.deliveries(
                sql.select().where("reporterid", .equal, reporterid)
                    .where("state", .equal, DeliveryState.pending.rawValue)
                    .where("next_attempt_at", .lessThanOrEqual, now.epochSeconds)
                    .orderBy("id").limit(limit))
        }
    }

    /// Marks delivery `id` as being sent, before it is: a master that dies now leaves it `sending`, for the next
    /// holder's ``recoverInterrupted(_:)``.
    public func markSending(_ id: Int, fence: ClaimFence) async throws {
        try await mark(id, fence: fence) { $0.set("state", to: DeliveryState.sending.rawValue) }
    }

    /// Marks delivery `id` delivered at `at`, with the target's answer.
    public func markDelivered(_ id: Int, status: Int?, at: Date, fence: ClaimFence) async throws {
        try await mark(id, fence: fence) {
            $0.set("state", to: DeliveryState.delivered.rawValue).set("status", to: status)
                .set("delivered_at", to: at.epochSeconds)
        }
    }

    /// Counts a failed attempt of delivery `id` and puts it back, due at `next`.
    public func markRetry(_ id: Int, error: String, next: Date, fence: ClaimFence) async throws {
        let now = database.clock.epochSeconds()
        try await mark(id, fence: fence) {
            $0.set("state", to: DeliveryState.pending.rawValue).set("next_attempt_at", to: next.epochSeconds)
                .set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
                .set("last_error", to: error).set("last_error_at", to: now)
        }
    }

    /// Counts a failed attempt of delivery `id` and gives it up.
    public func markFailed(_ id: Int, error: String, at: Date, fence: ClaimFence) async throws {
        try await mark(id, fence: fence) {
            $0.set("state", to: DeliveryState.failed.rawValue)
                .set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
                .set("last_error", to: error).set("last_error_at", to: at.epochSeconds)
        }
    }

    /// Marks superseded every pending delivery that a newer one for the same target follows (pending, being sent
    /// or delivered): sent later, as after its backoff, it would undo the newer one.
    /// - Returns: How many were.
    @discardableResult
    public func supersedeStale(_ fence: ClaimFence) async throws -> Int {
        try await database.withTransaction { sql in
            try await claims.requireCurrent(fence, in: sql)
            let pending = DeliveryState.pending.rawValue
            let newer = [DeliveryState.pending, .sending, .delivered].map(\.rawValue)
            return try await sql.raw(
                """
                UPDATE reporter_deliveries SET state = \(bind: DeliveryState.superseded.rawValue)
                WHERE reporterid = \(bind: fence.serviceID) AND state = \(bind: pending) AND EXISTS (
                    SELECT 1 FROM reporter_deliveries newer
                    WHERE newer.reporterid = reporter_deliveries.reporterid AND newer.target = reporter_deliveries.target
                    AND newer.id > reporter_deliveries.id
                    AND newer.state IN (\(bind: newer[0]), \(bind: newer[1]), \(bind: newer[2])))
                RETURNING id
                """
            ).all().count
        }
    }

    /// Marks `interrupted` the deliveries a previous holder left `sending` (it died while sending them): whether
    /// they arrived is unknown, and only reports to targets that must not get them twice are ever marked sending.
    /// - Returns: How many there were.
    @discardableResult
    public func recoverInterrupted(_ fence: ClaimFence) async throws -> Int {
        let now = database.clock.epochSeconds()
        return try await database.withTransaction { sql in
            try await claims.requireCurrent(fence, in: sql)
            return try await sql.update("reporter_deliveries")
                .set("state", to: DeliveryState.interrupted.rawValue)
                .set("last_error", to: Self.interruptedError).set("last_error_at", to: now)
                .where("reporterid", .equal, fence.serviceID)
                .where("state", .equal, DeliveryState.sending.rawValue)
                .returning("id").all().count
        }
    }

    /// Changes delivery `id` of `fence`'s reporter with `assignments`, in one transaction that first requires the
    /// fence.
    /// - Throws: `GantryError.fenced`; `GantryError.notFound` when the reporter has no such delivery.
    private func mark(
        _ id: Int, fence: ClaimFence, _ assignments: (SQLUpdateBuilder) -> SQLUpdateBuilder
    ) async throws {
        try await database.withTransaction { sql in
            try await claims.requireCurrent(fence, in: sql)
            let update = assignments(sql.update("reporter_deliveries"))
                .where("id", .equal, id).where("reporterid", .equal, fence.serviceID)
            guard try await !update.returning("id").all().isEmpty else {
                throw GantryError(.notFound, "reporter \(fence.serviceID) has no delivery \(id)")
            }
        }
    }

    /// Deliveries read by `query` (its conditions, order and limit), with every column.
    static func deliveries(_ query: SQLSelectBuilder) async throws -> [Delivery] {
        func date(_ seconds: Int?) -> Date? { seconds.map(Date.init(epochSeconds:)) }
        return
            try await query
            .columns(
                "id", "reporterid", "eventid", "report_index", "target", "payload", "state", "attempts",
                "next_attempt_at", "created_at", "event_at", "delivered_at", "status", "last_error", "last_error_at"
            )
            .from("reporter_deliveries")
            .all()
            .map { row in
                let id = try row.decode(column: "id", as: Int.self)
                let stateName = try row.decode(column: "state", as: String.self)
                guard let state = DeliveryState(rawValue: stateName) else {
                    throw StorageInvariantError("delivery \(id) has the unknown state '\(stateName)'")
                }
                guard let payload = try? JSONValue(json: try row.decode(column: "payload", as: String.self)) else {
                    throw StorageInvariantError("delivery \(id) has a payload that is not JSON")
                }
                return Delivery(
                    id: id,
                    reporterID: try row.decode(column: "reporterid", as: Int.self),
                    eventID: try row.decode(column: "eventid", as: Int.self),
                    index: try row.decode(column: "report_index", as: Int.self),
                    target: try row.decode(column: "target", as: String.self),
                    payload: payload,
                    state: state,
                    attempts: try row.decode(column: "attempts", as: Int.self),
                    nextAttemptAt: Date(epochSeconds: try row.decode(column: "next_attempt_at", as: Int.self)),
                    createdAt: Date(epochSeconds: try row.decode(column: "created_at", as: Int.self)),
                    eventAt: Date(epochSeconds: try row.decode(column: "event_at", as: Int.self)),
                    deliveredAt: date(try row.decode(column: "delivered_at", as: Int?.self)),
                    status: try row.decode(column: "status", as: Int?.self),
                    lastError: try row.decode(column: "last_error", as: String?.self),
                    lastErrorAt: date(try row.decode(column: "last_error_at", as: Int?.self))
                )
            }
    }
}

extension Database {
    /// The reporters connector of this database.
    public var reporters: ReportersConnector { ReportersConnector(database: self) }
}
