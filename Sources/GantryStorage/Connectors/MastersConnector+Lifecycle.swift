public import Foundation
public import GantryModel
import SQLKit

extension MastersConnector {
    /// A master checking in: marks it active and refreshes `last_active`.
    /// - Returns: `true` when it was inactive, that is, it has just started or a peer had expired it.
    @discardableResult
    public func masterActive(_ masterid: Int) async throws -> Bool {
        try await setMasterState(masterid, active: true)
    }

    /// A master stopping cleanly (or cleaning up after its own crash at start): marks it inactive and releases
    /// everything it held, in one transaction.
    /// - Returns: `true` when it was active, so its stop should be announced.
    @discardableResult
    public func masterStopped(_ masterid: Int) async throws -> Bool {
        let now = database.clock.epochSeconds()
        let changed = try await database.withTransaction { sql in
            let changed = try await Self.deactivate(masterid, staleBefore: nil, in: sql)
            var events = changed ? FeedChanges(.masters, [masterid], "stopped") : FeedChanges()
            events.add(try await MasterCleanup.run(for: masterid, now: now, in: sql))
            try await EventsConnector.record(events, in: sql, database: database)
            return changed
        }
        // The requests it handed back may be built by any master now.
        await database.notifier.post(.buildrequestsNew)
        return changed
    }

    /// Expires every master other than `except` whose last check-in is older than `staleBefore`, each in its own
    /// idempotent transaction: mark inactive, release its claims, links and build requests.
    ///
    /// A master already inactive is cleaned again with `forceHouseKeeping` (as at a master's start), or when it
    /// still holds something (it died while starting, before its first check-in); it is not reported again.
    /// A master that checked in after the decision is left alone.
    /// - Returns: The masters this call deactivated, to announce as stopped.
    public func expireMasters(
        staleBefore: Date,
        except: Int?,
        forceHouseKeeping: Bool = false
    ) async throws -> [Master] {
        let cutoff = Int(staleBefore.timeIntervalSince1970.rounded(.down))
        let holders = try await database.withTransaction { sql in try await MasterCleanup.holders(in: sql) }
        let candidates = try await getMasters().items.filter { master in
            master.id != except && Int(master.lastActive.timeIntervalSince1970) < cutoff
                && (master.active || forceHouseKeeping || holders.contains(master.id))
        }
        var expired: [Master] = []
        for master in candidates {
            let changed = try await database.withTransaction { sql in
                let changed = try await Self.deactivate(master.id, staleBefore: cutoff, in: sql)
                var events = changed ? FeedChanges(.masters, [master.id], "stopped") : FeedChanges()
                // Inactive yet holding something (it died while starting) is cleaned as well; a master that
                // checked in meanwhile (still active, not changed) keeps what it holds.
                if changed || forceHouseKeeping || !master.active {
                    events.add(
                        try await MasterCleanup.run(for: master.id, now: database.clock.epochSeconds(), in: sql))
                }
                try await EventsConnector.record(events, in: sql, database: database)
                return changed
            }
            if changed {
                expired.append(Master(id: master.id, name: master.name, active: false, lastActive: master.lastActive))
            }
        }
        // The requests the expired masters held may be built by any master now, not at its next poll.
        if !candidates.isEmpty { await database.notifier.post(.buildrequestsNew) }
        return expired
    }

    /// Marks the master inactive, only if it is still stale when `staleBefore` is given; returns whether it was
    /// active.
    private static func deactivate(_ masterid: Int, staleBefore: Int?, in sql: any SQLDatabase) async throws -> Bool {
        let update = sql.update("masters").set("active", to: false)
            .where("id", .equal, masterid)
            .where("active", .equal, true)
        if let staleBefore { update.where("last_active", .lessThan, staleBefore) }
        return !(try await update.returning("id").all()).isEmpty
    }
}
