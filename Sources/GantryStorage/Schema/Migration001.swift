extension Migration {
    /// Buildbot 4.3's model for masters, workers, builders, schedulers, change sources and object state,
    /// with an `epoch` on each claim row for fencing.
    static let initial = Migration(version: 1, summary: "masters, workers, builders, schedulers, state") { dialect in
        let id = dialect.serialPrimaryKey
        return [
            """
            CREATE TABLE masters (
                id \(id),
                name TEXT NOT NULL,
                name_hash VARCHAR(40) NOT NULL,
                active BOOLEAN NOT NULL DEFAULT FALSE,
                last_active BIGINT NOT NULL,
                CONSTRAINT master_name_hashes UNIQUE (name_hash)
            )
            """,
            """
            CREATE TABLE workers (
                id \(id),
                name VARCHAR(50) NOT NULL,
                info TEXT NOT NULL DEFAULT '{}',
                paused BOOLEAN NOT NULL DEFAULT FALSE,
                pause_reason TEXT,
                graceful BOOLEAN NOT NULL DEFAULT FALSE,
                CONSTRAINT workers_name UNIQUE (name)
            )
            """,
            """
            CREATE TABLE builders (
                id \(id),
                name TEXT NOT NULL,
                name_hash VARCHAR(40) NOT NULL,
                description TEXT,
                CONSTRAINT builder_name_hash UNIQUE (name_hash)
            )
            """,
            """
            CREATE TABLE builder_masters (
                id \(id),
                builderid BIGINT NOT NULL REFERENCES builders (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                CONSTRAINT builder_masters_identity UNIQUE (builderid, masterid)
            )
            """,
            "CREATE INDEX builder_masters_masterid ON builder_masters (masterid)",
            """
            CREATE TABLE configured_workers (
                id \(id),
                buildermasterid BIGINT NOT NULL REFERENCES builder_masters (id) ON DELETE CASCADE,
                workerid BIGINT NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
                CONSTRAINT configured_workers_identity UNIQUE (buildermasterid, workerid)
            )
            """,
            "CREATE INDEX configured_workers_workerid ON configured_workers (workerid)",
            """
            CREATE TABLE connected_workers (
                id \(id),
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                workerid BIGINT NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
                CONSTRAINT connected_workers_identity UNIQUE (masterid, workerid)
            )
            """,
            "CREATE INDEX connected_workers_workerid ON connected_workers (workerid)",
            """
            CREATE TABLE schedulers (
                id \(id),
                name TEXT NOT NULL,
                name_hash VARCHAR(40) NOT NULL,
                enabled BOOLEAN NOT NULL DEFAULT TRUE,
                CONSTRAINT scheduler_name_hash UNIQUE (name_hash)
            )
            """,
            """
            CREATE TABLE scheduler_masters (
                schedulerid BIGINT NOT NULL PRIMARY KEY REFERENCES schedulers (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                epoch BIGINT NOT NULL
            )
            """,
            "CREATE INDEX scheduler_masters_masterid ON scheduler_masters (masterid)",
            """
            CREATE TABLE changesources (
                id \(id),
                name TEXT NOT NULL,
                name_hash VARCHAR(40) NOT NULL,
                CONSTRAINT changesource_name_hash UNIQUE (name_hash)
            )
            """,
            """
            CREATE TABLE changesource_masters (
                changesourceid BIGINT NOT NULL PRIMARY KEY REFERENCES changesources (id) ON DELETE CASCADE,
                masterid BIGINT NOT NULL REFERENCES masters (id) ON DELETE CASCADE,
                epoch BIGINT NOT NULL
            )
            """,
            "CREATE INDEX changesource_masters_masterid ON changesource_masters (masterid)",
            """
            CREATE TABLE objects (
                id \(id),
                name VARCHAR(128) NOT NULL,
                class_name VARCHAR(128) NOT NULL,
                CONSTRAINT object_identity UNIQUE (name, class_name)
            )
            """,
            """
            CREATE TABLE object_state (
                objectid BIGINT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
                name VARCHAR(255) NOT NULL,
                value_json TEXT NOT NULL,
                CONSTRAINT name_per_object UNIQUE (objectid, name)
            )
            """,
        ]
    }
}
