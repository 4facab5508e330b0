extension Migration {
    /// Claim epochs that survive unclaiming, versioned state for compare-and-set, and the first buildsets and
    /// build requests with their claims.
    static let claimsAndBuildsets = Migration(version: 2, summary: "claim epochs, state versions, buildsets") {
        dialect in
        let id = dialect.serialPrimaryKey
        return [
            "ALTER TABLE schedulers ADD COLUMN last_epoch BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE changesources ADD COLUMN last_epoch BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE object_state ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
            """
            CREATE TABLE buildsets (
                id \(id),
                external_idstring VARCHAR(256),
                reason VARCHAR(256),
                submitted_at BIGINT NOT NULL,
                complete BOOLEAN NOT NULL DEFAULT FALSE,
                complete_at BIGINT,
                results INTEGER,
                schedulerid BIGINT REFERENCES schedulers (id) ON DELETE SET NULL
            )
            """,
            "CREATE INDEX buildsets_complete ON buildsets (complete)",
            "CREATE INDEX buildsets_submitted_at ON buildsets (submitted_at)",
            """
            CREATE TABLE buildset_properties (
                buildsetid BIGINT NOT NULL REFERENCES buildsets (id) ON DELETE CASCADE,
                property_name VARCHAR(256) NOT NULL,
                property_value TEXT NOT NULL,
                CONSTRAINT buildset_property_identity UNIQUE (buildsetid, property_name)
            )
            """,
            """
            CREATE TABLE buildrequests (
                id \(id),
                buildsetid BIGINT NOT NULL REFERENCES buildsets (id) ON DELETE CASCADE,
                builderid BIGINT NOT NULL REFERENCES builders (id) ON DELETE CASCADE,
                priority INTEGER NOT NULL DEFAULT 0,
                complete BOOLEAN NOT NULL DEFAULT FALSE,
                results INTEGER,
                submitted_at BIGINT NOT NULL,
                complete_at BIGINT,
                waited_for BOOLEAN NOT NULL DEFAULT FALSE
            )
            """,
            "CREATE INDEX buildrequests_buildsetid ON buildrequests (buildsetid)",
            "CREATE INDEX buildrequests_builderid ON buildrequests (builderid)",
            "CREATE INDEX buildrequests_complete ON buildrequests (complete)",
            """
            CREATE TABLE buildrequest_claims (
                brid BIGINT NOT NULL REFERENCES buildrequests (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                claimed_at BIGINT NOT NULL,
                CONSTRAINT buildrequest_claims_brids UNIQUE (brid)
            )
            """,
            "CREATE INDEX buildrequest_claims_masterid ON buildrequest_claims (masterid)",
        ]
    }
}
