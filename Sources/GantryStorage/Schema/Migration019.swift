extension Migration {
    /// Each build request keeps its buildset's origin (``BuildsetOrigin/queueKey``), so the distributor reads the
    /// head of each fair queue of a builder through one index, whatever the length of the queue, instead of
    /// reading every pending request. Pending requests get theirs from their buildsets; finished ones need none.
    /// The unfinished builds get an index of their own, so ending a master's builds when it stops or expires
    /// costs its running builds, not its history.
    static let requestQueues = Migration(version: 19, summary: "fair queues of build requests, unfinished builds") {
        _ in
        [
            "ALTER TABLE buildrequests ADD COLUMN origin TEXT NOT NULL DEFAULT ''",
            """
            UPDATE buildrequests SET origin = (
                SELECT COALESCE(CAST(buildsets.schedulerid AS TEXT), '0') || ' ' || COALESCE((
                    SELECT sourcestamps.project FROM buildset_sourcestamps
                    JOIN sourcestamps ON sourcestamps.id = buildset_sourcestamps.sourcestampid
                    WHERE buildset_sourcestamps.buildsetid = buildsets.id
                    ORDER BY sourcestamps.id LIMIT 1
                ), '')
                FROM buildsets WHERE buildsets.id = buildrequests.buildsetid
            ) WHERE complete = FALSE
            """,
            """
            CREATE INDEX buildrequests_queue
            ON buildrequests (builderid, complete, origin, priority DESC, submitted_at, id)
            """,
            "CREATE INDEX builds_unfinished ON builds (complete_at) WHERE complete_at IS NULL",
        ]
    }
}
