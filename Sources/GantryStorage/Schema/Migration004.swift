extension Migration {
    /// Builds, their properties and steps, and the steps' logs in chunks of lines. Names follow Buildbot 4.3's
    /// schema; a build's number is unique per builder.
    static let buildsAndLogs = Migration(version: 4, summary: "builds, steps, logs") { dialect in
        let id = dialect.serialPrimaryKey
        return [
            """
            CREATE TABLE builds (
                id \(id),
                number INTEGER NOT NULL,
                builderid BIGINT NOT NULL REFERENCES builders (id) ON DELETE CASCADE,
                buildrequestid BIGINT NOT NULL REFERENCES buildrequests (id) ON DELETE CASCADE,
                workerid BIGINT REFERENCES workers (id) ON DELETE SET NULL,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                started_at BIGINT NOT NULL,
                complete_at BIGINT,
                state_string TEXT NOT NULL DEFAULT '',
                results INTEGER,
                CONSTRAINT builds_number UNIQUE (builderid, number)
            )
            """,
            "CREATE INDEX builds_buildrequestid ON builds (buildrequestid)",
            "CREATE INDEX builds_workerid ON builds (workerid)",
            "CREATE INDEX builds_masterid ON builds (masterid)",
            """
            CREATE TABLE build_properties (
                buildid BIGINT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
                name VARCHAR(256) NOT NULL,
                value TEXT NOT NULL,
                source VARCHAR(256) NOT NULL,
                CONSTRAINT build_properties_identity UNIQUE (buildid, name)
            )
            """,
            """
            CREATE TABLE steps (
                id \(id),
                number INTEGER NOT NULL,
                name VARCHAR(50) NOT NULL,
                buildid BIGINT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
                started_at BIGINT,
                complete_at BIGINT,
                state_string TEXT NOT NULL DEFAULT '',
                results INTEGER,
                hidden BOOLEAN NOT NULL DEFAULT FALSE,
                CONSTRAINT steps_number UNIQUE (buildid, number),
                CONSTRAINT steps_name UNIQUE (buildid, name)
            )
            """,
            """
            CREATE TABLE logs (
                id \(id),
                name TEXT NOT NULL,
                slug VARCHAR(50) NOT NULL,
                stepid BIGINT NOT NULL REFERENCES steps (id) ON DELETE CASCADE,
                complete BOOLEAN NOT NULL DEFAULT FALSE,
                num_lines INTEGER NOT NULL DEFAULT 0,
                type VARCHAR(1) NOT NULL,
                CONSTRAINT logs_slug UNIQUE (stepid, slug)
            )
            """,
            """
            CREATE TABLE logchunks (
                logid BIGINT NOT NULL REFERENCES logs (id) ON DELETE CASCADE,
                first_line INTEGER NOT NULL,
                last_line INTEGER NOT NULL,
                content TEXT NOT NULL,
                CONSTRAINT logchunks_first_line UNIQUE (logid, first_line)
            )
            """,
        ]
    }
}
