extension Migration {
    /// Authentication: API tokens and browser sessions, stored by the SHA-256 of their secret only, so a copy of
    /// the database lets nobody in; and the audit log of who did what. Sessions are in the database so that every
    /// master behind a load balancer accepts them; the index on their expiry finds the ones to delete. The audit
    /// log is read newest first, for one target (`build 12`) or all; the index on `at` finds the old entries.
    static let authentication = Migration(version: 10, summary: "API tokens, web sessions, audit log") { dialect in
        [
            """
            CREATE TABLE api_tokens (
                id \(dialect.serialPrimaryKey),
                token_hash TEXT NOT NULL UNIQUE,
                user_name TEXT NOT NULL,
                roles TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """,
            """
            CREATE TABLE web_sessions (
                id \(dialect.serialPrimaryKey),
                session_hash TEXT NOT NULL UNIQUE,
                user_name TEXT NOT NULL,
                credential TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                address TEXT
            )
            """,
            "CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at)",
            """
            CREATE TABLE audit_log (
                id \(dialect.serialPrimaryKey),
                at BIGINT NOT NULL,
                user_name TEXT,
                source TEXT NOT NULL,
                "action" TEXT NOT NULL,
                target TEXT NOT NULL,
                address TEXT,
                outcome TEXT NOT NULL,
                detail TEXT
            )
            """,
            "CREATE INDEX audit_log_target ON audit_log (target, id)",
            "CREATE INDEX audit_log_at ON audit_log (at)",
        ]
    }
}
