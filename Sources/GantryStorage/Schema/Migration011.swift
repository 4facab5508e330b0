extension Migration {
    /// Reporters as clustered services, each with its outbox. A reporter's `event_cursor` is how far into the event
    /// feed it has turned events into deliveries (NULL until it first runs, so it starts at the feed's end rather
    /// than replaying history); a delivery is one report to send, kept with its attempts so that whichever master
    /// holds the reporter finishes what another began. The unique (reporter, event, index) makes queueing an
    /// event's reports twice impossible; the indexes serve the due deliveries, the older reports of a target (which a
    /// newer one supersedes) and the newest-first listing.
    static let reporters = Migration(version: 11, summary: "reporter claims and outbox") { dialect in
        [
            """
            CREATE TABLE reporters (
                id \(dialect.serialPrimaryKey),
                name TEXT NOT NULL,
                name_hash VARCHAR(40) NOT NULL,
                last_epoch BIGINT NOT NULL DEFAULT 0,
                event_cursor BIGINT,
                CONSTRAINT reporter_name_hash UNIQUE (name_hash)
            )
            """,
            """
            CREATE TABLE reporter_masters (
                reporterid BIGINT NOT NULL PRIMARY KEY REFERENCES reporters (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                epoch BIGINT NOT NULL
            )
            """,
            "CREATE INDEX reporter_masters_masterid ON reporter_masters (masterid)",
            """
            CREATE TABLE reporter_deliveries (
                id \(dialect.serialPrimaryKey),
                reporterid BIGINT NOT NULL REFERENCES reporters (id) ON DELETE CASCADE,
                eventid BIGINT NOT NULL,
                report_index INTEGER NOT NULL,
                target TEXT NOT NULL,
                payload TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                event_at BIGINT NOT NULL,
                delivered_at BIGINT,
                status INTEGER,
                last_error TEXT,
                last_error_at BIGINT,
                CONSTRAINT reporter_deliveries_identity UNIQUE (reporterid, eventid, report_index)
            )
            """,
            "CREATE INDEX reporter_deliveries_due ON reporter_deliveries (reporterid, state, next_attempt_at)",
            "CREATE INDEX reporter_deliveries_reporter ON reporter_deliveries (reporterid, id)",
            "CREATE INDEX reporter_deliveries_target ON reporter_deliveries (reporterid, target, id)",
        ]
    }
}
