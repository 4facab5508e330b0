extension Migration {
    /// The event feed: every change the REST API shows, in commit order, for live pages. Readers ask for the ids
    /// after the last they saw, which the primary key serves; the index on `at` finds what is old enough to trim.
    /// `events_trimmed` keeps the highest id ever trimmed, so a reader that fell behind it knows it missed some.
    static let events = Migration(version: 9, summary: "event feed") { dialect in
        [
            """
            CREATE TABLE events (
                id \(dialect.serialPrimaryKey),
                "key" TEXT NOT NULL,
                payload TEXT NOT NULL,
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX events_at ON events (at, id)",
            """
            CREATE TABLE events_trimmed (
                id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
                through BIGINT NOT NULL
            )
            """,
        ]
    }
}
