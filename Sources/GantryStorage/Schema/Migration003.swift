extension Migration {
    /// Changes with their files and properties, deduplicated source stamps (and their patches), the source
    /// stamps of each buildset, and each scheduler's classification of the changes it saw. Names follow
    /// Buildbot 4.3's schema.
    static let changesAndSourceStamps = Migration(version: 3, summary: "changes, source stamps, classifications") {
        dialect in
        let id = dialect.serialPrimaryKey
        return [
            """
            CREATE TABLE patches (
                id \(id),
                patchlevel INTEGER NOT NULL,
                patch_base64 TEXT NOT NULL,
                patch_author TEXT,
                patch_comment TEXT,
                subdir TEXT
            )
            """,
            """
            CREATE TABLE sourcestamps (
                id \(id),
                ss_hash VARCHAR(40) NOT NULL,
                branch VARCHAR(256),
                revision VARCHAR(256),
                patchid BIGINT REFERENCES patches (id),
                repository VARCHAR(512) NOT NULL DEFAULT '',
                codebase VARCHAR(256) NOT NULL DEFAULT '',
                project VARCHAR(512) NOT NULL DEFAULT '',
                created_at BIGINT NOT NULL,
                CONSTRAINT sourcestamps_ss_hash_key UNIQUE (ss_hash)
            )
            """,
            """
            CREATE TABLE changes (
                changeid \(id),
                author VARCHAR(255) NOT NULL,
                committer VARCHAR(255),
                comments TEXT NOT NULL,
                branch VARCHAR(255),
                revision VARCHAR(255),
                revlink VARCHAR(256),
                when_timestamp BIGINT NOT NULL,
                category VARCHAR(255),
                repository VARCHAR(512) NOT NULL DEFAULT '',
                codebase VARCHAR(256) NOT NULL DEFAULT '',
                project VARCHAR(512) NOT NULL DEFAULT '',
                sourcestampid BIGINT NOT NULL REFERENCES sourcestamps (id) ON DELETE CASCADE,
                parent_changeids BIGINT REFERENCES changes (changeid) ON DELETE SET NULL
            )
            """,
            "CREATE INDEX changes_branch ON changes (branch)",
            "CREATE INDEX changes_revision ON changes (revision)",
            "CREATE INDEX changes_author ON changes (author)",
            "CREATE INDEX changes_category ON changes (category)",
            "CREATE INDEX changes_when_timestamp ON changes (when_timestamp)",
            "CREATE INDEX changes_sourcestampid ON changes (sourcestampid)",
            """
            CREATE TABLE change_files (
                changeid BIGINT NOT NULL REFERENCES changes (changeid) ON DELETE CASCADE,
                filename VARCHAR(1024) NOT NULL
            )
            """,
            "CREATE INDEX change_files_changeid ON change_files (changeid)",
            """
            CREATE TABLE change_properties (
                changeid BIGINT NOT NULL REFERENCES changes (changeid) ON DELETE CASCADE,
                property_name VARCHAR(256) NOT NULL,
                property_value TEXT NOT NULL,
                CONSTRAINT change_property_identity UNIQUE (changeid, property_name)
            )
            """,
            """
            CREATE TABLE buildset_sourcestamps (
                id \(id),
                buildsetid BIGINT NOT NULL REFERENCES buildsets (id) ON DELETE CASCADE,
                sourcestampid BIGINT NOT NULL REFERENCES sourcestamps (id) ON DELETE CASCADE,
                CONSTRAINT buildset_sourcestamps_identity UNIQUE (buildsetid, sourcestampid)
            )
            """,
            "CREATE INDEX buildset_sourcestamps_sourcestampid ON buildset_sourcestamps (sourcestampid)",
            """
            CREATE TABLE scheduler_changes (
                schedulerid BIGINT NOT NULL REFERENCES schedulers (id) ON DELETE CASCADE,
                changeid BIGINT NOT NULL REFERENCES changes (changeid) ON DELETE CASCADE,
                important BOOLEAN NOT NULL,
                CONSTRAINT scheduler_changes_identity UNIQUE (schedulerid, changeid)
            )
            """,
            "CREATE INDEX scheduler_changes_changeid ON scheduler_changes (changeid)",
        ]
    }
}
