import GantryModel
import SQLKit
import Synchronization

extension EventsConnector {
    /// Records `changes` in the caller's transaction; call it once, as the transaction's last statements.
    ///
    /// Reads the resources the events name, then inserts every event in one statement (a few for a very large
    /// batch). On PostgreSQL it first takes the lock that makes event-recording transactions take turns until
    /// their COMMIT, held briefly since nothing follows. The COMMIT wakes this process's readers.
    static func record(_ changes: FeedChanges, in sql: any SQLDatabase, database: Database) async throws {
        guard !changes.isEmpty else { return }
        // The lock comes before the resources are read: two transactions changing one resource then read it in
        // the order they commit, so the last event of a resource shows what the database holds.
        if let lock = database.dialect.eventOrderLock {
            try await sql.raw("SELECT \(unsafeRaw: lock)").run()
        }
        // No NOTIFY: PostgreSQL signals every listening session of the database for each notifying commit, which
        // at one per event-recording transaction cost the cluster more than the wake-up saves; the COMMIT wakes
        // this master's feed, and the other masters' feeds poll.
        database.eventsRecorded.store(true, ordering: .relaxed)
        let events = try await changes.rendered(in: sql, dialect: database.dialect)
        guard !events.isEmpty else { return }
        let at = database.clock.epochSeconds()
        // Three values bound per event.
        for batch in Batches.of(events, size: Batches.size / 3) {
            let insert = sql.insert(into: "events").columns("key", "payload", "at")
            for event in batch {
                insert.values(SQLBind(event.key), SQLBind(event.payload.jsonText), SQLBind(at))
            }
            try await insert.run()
        }
    }
}
