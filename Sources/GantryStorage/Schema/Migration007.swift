extension Migration {
    /// Pools' event logs, so any master shows them and they outlive the master that recorded them.
    static let poolEvents = Migration(version: 7, summary: "pool event logs") { dialect in
        [
            """
            CREATE TABLE pool_events (
                id \(dialect.serialPrimaryKey),
                pool TEXT NOT NULL,
                worker TEXT,
                event VARCHAR(32) NOT NULL,
                detail TEXT,
                masterid BIGINT,
                at_ms BIGINT NOT NULL
            )
            """,
            "CREATE INDEX pool_events_pool ON pool_events (pool, id)",
        ]
    }
}
