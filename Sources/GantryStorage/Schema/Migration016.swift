extension Migration {
    /// The janitor as a clustered service (its claim, as pools and reporters have theirs), and the indexes its
    /// deletes need: old finished builds and buildsets in the order they finished, settled reports by age, and
    /// the children of a change, which deleting the change sets free (without that index, each deleted change
    /// would scan the whole table for them). A builder keeps the number of its last build, so that numbers go on
    /// from there when the janitor has deleted every build it had, and links already sent never name a new build.
    static let retention = Migration(version: 16, summary: "retention indexes and janitor claims") { dialect in
        [
            """
            CREATE TABLE janitors (
                id \(dialect.serialPrimaryKey),
                name TEXT NOT NULL,
                name_hash VARCHAR(40) NOT NULL,
                last_epoch BIGINT NOT NULL DEFAULT 0,
                CONSTRAINT janitor_name_hash UNIQUE (name_hash)
            )
            """,
            """
            CREATE TABLE janitor_masters (
                janitorid BIGINT NOT NULL PRIMARY KEY REFERENCES janitors (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                epoch BIGINT NOT NULL
            )
            """,
            "CREATE INDEX janitor_masters_masterid ON janitor_masters (masterid)",
            "CREATE INDEX builds_complete_at ON builds (complete_at, id)",
            "CREATE INDEX buildsets_complete_at ON buildsets (complete_at, id)",
            "CREATE INDEX changes_parent_changeids ON changes (parent_changeids)",
            "CREATE INDEX reporter_deliveries_created_at ON reporter_deliveries (created_at, id)",
            "ALTER TABLE builders ADD COLUMN last_build_number INTEGER NOT NULL DEFAULT 0",
            """
            UPDATE builders SET last_build_number = COALESCE(
                (SELECT MAX(number) FROM builds WHERE builds.builderid = builders.id), 0)
            """,
        ]
    }
}
