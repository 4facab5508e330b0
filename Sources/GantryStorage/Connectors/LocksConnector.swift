public import Foundation
public import GantryModel
import SQLKit

/// Cluster-wide locks: the slots that builds and steps hold (see ``LockSlots``). Taking a build's or a step's
/// locks is one transaction, all or nothing, and the slot rows' primary key lets only one of two masters racing
/// for a slot have it.
public struct LocksConnector: Sendable {
    let database: Database

    /// What an attempt to take locks came to.
    public enum Acquisition: Sendable, Hashable {
        /// Every lock asked for is held now.
        case acquired
        /// Nothing was taken: these requests found their lock busy.
        case waiting([LockRequest])
    }

    /// One holder of a lock: a build, or one of its steps.
    public struct Holder: Sendable, Hashable {
        public var instance: LockInstance
        public var exclusive: Bool
        public var buildID: Int
        /// The step holding it; `nil` for the build's own locks.
        public var stepID: Int?
        public var masterID: Int
        public var acquiredAt: Date
    }

    /// A slot another master took between this transaction's read and its insert.
    private struct SlotTaken: Error {}

    /// Takes every one of `requests` for build `buildid` (for its step `stepid` when given), or none of them, in
    /// one transaction. When they are taken, the step's `locks_acquired_at` is set (with no requests, a step has
    /// its locks at once) and the seconds since `waitingSince` are added to the build's `locks_duration_s`.
    /// - Parameter reserved: What the waiters ahead of this one on this master wait for; it does not pass them.
    /// - Returns: `.waiting` with the busy requests, all of them when other masters kept taking slots first.
    /// - Throws: `GantryError.conflict` when the build has ended; nothing is taken then.
    public func acquire(
        _ requests: [LockRequest], buildid: Int, stepid: Int? = nil, masterid: Int,
        reserved: [LockInstance: LockSlots.Reservation] = [:], waitingSince: Date? = nil
    ) async throws -> Acquisition {
        let now = database.clock.now()
        let at = Int(now.timeIntervalSince1970.rounded(.down))
        // Whole seconds, never negative, and far from any bound whatever the clocks did.
        let waited = waitingSince.map { Int(min(max(now.timeIntervalSince($0), 0), Double(Int32.max))) } ?? 0
        let dialect = database.dialect
        // Another master taking a slot between the read and the insert is a race, not a full lock: read again at
        // once (a few times) rather than wait for the next release.
        for _ in 0..<Self.raceAttempts {
            do {
                return try await database.withTransaction { (sql: any SQLDatabase) -> Acquisition in
                    // The build's row is held until the commit, so an expiry of this master, which ends the build and
                    // then releases its locks, comes wholly before or after: no lock is taken for an ended build.
                    let build = sql.select().column("id").from("builds").where("id", .equal, buildid)
                        .where(SQLColumn("complete_at"), .is, SQLLiteral.null)
                    if let lock = dialect.updateLock { build.lockingClause(lock) }
                    guard try await build.first() != nil else {
                        throw GantryError(.conflict, "build \(buildid) has ended; it takes no locks")
                    }
                    if !requests.isEmpty {
                        let taken = try await Self.taken(of: requests, in: sql)
                        switch LockSlots.decide(requests, taken: taken, reserved: reserved) {
                        case .wait(let busy): return .waiting(busy)
                        case .take(let grants):
                            try await Self.insert(
                                grants, buildid: buildid, stepid: stepid, masterid: masterid, at: at, in: sql)
                        }
                    }
                    var events = FeedChanges()
                    if waited > 0 {
                        try await sql.update("builds")
                            .set(
                                "locks_duration_s",
                                to: SQLBinaryExpression(SQLColumn("locks_duration_s"), .add, SQLBind(waited))
                            )
                            .where("id", .equal, buildid).run()
                        events.add(.builds, [buildid], "update")
                    }
                    if let stepid {
                        try await sql.update("steps").set("locks_acquired_at", to: at).where("id", .equal, stepid).run()
                        events.add(.steps, [stepid], "updated")
                    }
                    try await EventsConnector.record(events, in: sql, database: database)
                    return .acquired
                }
            } catch is SlotTaken {
                continue
            }
        }
        return .waiting(requests)
    }

    /// How many times one acquisition reads again after losing a slot to another master.
    static let raceAttempts = 3

    /// Releases the locks step `stepid` of build `buildid` holds, waking the builds and steps waiting for locks.
    public func release(stepid: Int, buildid: Int) async throws {
        let released = try await database.withTransaction { sql in
            try await sql.delete(from: "lock_claims").where("buildid", .equal, buildid).where("stepid", .equal, stepid)
                .returning("slot").all().count
        }
        if released > 0 { await database.notifier.post(.locksReleased) }
    }

    /// Every holder of a lock now, by lock, copy and build.
    public func getHolders() async throws -> [Holder] {
        try await database.withTransaction { sql in
            try await sql.select().distinct()
                .columns("lock_name", "scope", "exclusive", "buildid", "stepid", "masterid", "acquired_at")
                .from("lock_claims")
                .orderBy("lock_name").orderBy("scope").orderBy("buildid")
                .all()
                .map { row in
                    Holder(
                        instance: LockInstance(
                            name: try row.decode(column: "lock_name", as: String.self),
                            scope: try row.decode(column: "scope", as: String.self)),
                        exclusive: try row.decode(column: "exclusive", as: Bool.self),
                        buildID: try row.decode(column: "buildid", as: Int.self),
                        stepID: try row.decode(column: "stepid", as: Int?.self),
                        masterID: try row.decode(column: "masterid", as: Int.self),
                        acquiredAt: Date(
                            timeIntervalSince1970: TimeInterval(try row.decode(column: "acquired_at", as: Int.self))))
                }
        }
    }

    /// Releases every lock of build `buildid` and its steps, in the caller's transaction: a build that ends holds
    /// none. The caller's commit is followed by a `locks/released` notification, or by the waiters' poll.
    static func release(buildid: Int, in sql: any SQLDatabase) async throws {
        try await sql.delete(from: "lock_claims").where("buildid", .equal, buildid).run()
    }

    /// What is held of the locks `requests` name, by instance.
    private static func taken(of requests: [LockRequest], in sql: any SQLDatabase) async throws
        -> [LockInstance: LockSlots.Taken]
    {
        let names = Set(requests.map(\.instance.name)).sorted()
        var taken: [LockInstance: LockSlots.Taken] = [:]
        for row in try await sql.select().columns("lock_name", "scope", "slot", "exclusive").from("lock_claims")
            .where("lock_name", .in, SQLBind.group(names)).all()
        {
            let instance = LockInstance(
                name: try row.decode(column: "lock_name", as: String.self),
                scope: try row.decode(column: "scope", as: String.self))
            var held = taken[instance] ?? LockSlots.Taken()
            held.slots.insert(try row.decode(column: "slot", as: Int.self))
            if try row.decode(column: "exclusive", as: Bool.self) { held.exclusive = true }
            taken[instance] = held
        }
        return taken
    }

    /// Writes the slots of `grants`; a slot another master took meanwhile is `SlotTaken`, which rolls back all.
    private static func insert(
        _ grants: [LockSlots.Grant], buildid: Int, stepid: Int?, masterid: Int, at: Int, in sql: any SQLDatabase
    ) async throws {
        let rows = grants.flatMap { grant in grant.slots.map { (grant, $0) } }
        // Eight values bound per row.
        for batch in Batches.of(rows, size: Batches.size / 8) {
            let insert = sql.insert(into: "lock_claims")
                .columns(
                    "lock_name", "scope", "slot", "exclusive", "buildid", "stepid", "masterid", "acquired_at")
            for (grant, slot) in batch {
                insert.values(
                    SQLBind(grant.request.instance.name), SQLBind(grant.request.instance.scope), SQLBind(slot),
                    SQLBind(grant.request.mode == .exclusive), SQLBind(buildid), SQLBind(stepid), SQLBind(masterid),
                    SQLBind(at))
            }
            let inserted = try await insert.ignoringConflicts(with: ["lock_name", "scope", "slot"])
                .returning("slot").all().count
            guard inserted == batch.count else { throw SlotTaken() }
        }
    }
}

extension Database {
    /// The locks connector of this database.
    public var locks: LocksConnector { LocksConnector(database: self) }
}
