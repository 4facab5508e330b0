extension Migration {
    /// Cluster-wide locks. A lock of `maxCount` has the slots `0..<maxCount`, one row each while held: a counting
    /// holder takes one, an exclusive holder all of them, so the primary key makes two masters' grants exclude
    /// each other without any check-then-insert. `scope` is empty for a master lock and the worker's name for a
    /// worker lock's copy; `stepid` is set for a step's locks, NULL for a build's. A build that is deleted, or a
    /// master, takes its rows along; expiry deletes a dead master's rows, and the indexes serve those releases.
    /// The builds and steps columns are Buildbot's: the seconds a build waited for its locks, and when a step had
    /// them.
    static let locks = Migration(version: 15, summary: "cluster-wide locks") { _ in
        [
            """
            CREATE TABLE lock_claims (
                lock_name TEXT NOT NULL,
                scope TEXT NOT NULL,
                slot INTEGER NOT NULL,
                "exclusive" BOOLEAN NOT NULL,
                buildid BIGINT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
                stepid BIGINT REFERENCES steps (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                acquired_at BIGINT NOT NULL,
                PRIMARY KEY (lock_name, scope, slot)
            )
            """,
            "CREATE INDEX lock_claims_buildid ON lock_claims (buildid)",
            "CREATE INDEX lock_claims_masterid ON lock_claims (masterid)",
            "ALTER TABLE builds ADD COLUMN locks_duration_s INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE steps ADD COLUMN locks_acquired_at BIGINT",
        ]
    }
}
