extension Migration {
    /// Pools as clustered services: each pool's manager runs on the one master holding its claim.
    static let poolClaims = Migration(version: 6, summary: "pool claims") { dialect in
        [
            """
            CREATE TABLE pools (
                id \(dialect.serialPrimaryKey),
                name TEXT NOT NULL,
                name_hash VARCHAR(40) NOT NULL,
                last_epoch BIGINT NOT NULL DEFAULT 0,
                CONSTRAINT pool_name_hash UNIQUE (name_hash)
            )
            """,
            """
            CREATE TABLE pool_masters (
                poolid BIGINT NOT NULL PRIMARY KEY REFERENCES pools (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                epoch BIGINT NOT NULL
            )
            """,
            "CREATE INDEX pool_masters_masterid ON pool_masters (masterid)",
        ]
    }
}
