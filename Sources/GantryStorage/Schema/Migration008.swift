extension Migration {
    /// Log chunks as bytes, as Buildbot stores them: PostgreSQL refuses a NUL in text, and SQLite cuts text at
    /// the first NUL when it is read back; a command's output must be kept whatever it printed.
    static let logBytes = Migration(version: 8, summary: "log chunks as bytes") { dialect in
        switch dialect {
        case .postgres:
            ["ALTER TABLE logchunks ALTER COLUMN content TYPE BYTEA USING convert_to(content, 'UTF8')"]
        case .sqlite:
            [
                """
                CREATE TABLE logchunks_bytes (
                    logid BIGINT NOT NULL REFERENCES logs (id) ON DELETE CASCADE,
                    first_line INTEGER NOT NULL,
                    last_line INTEGER NOT NULL,
                    content BLOB NOT NULL,
                    CONSTRAINT logchunks_first_line UNIQUE (logid, first_line)
                )
                """,
                """
                INSERT INTO logchunks_bytes (logid, first_line, last_line, content)
                SELECT logid, first_line, last_line, CAST(content AS BLOB) FROM logchunks
                """,
                "DROP TABLE logchunks",
                "ALTER TABLE logchunks_bytes RENAME TO logchunks",
            ]
        }
    }
}
