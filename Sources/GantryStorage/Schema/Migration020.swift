import Foundation

extension Migration {
    /// Every instance a pool starts is recorded before it starts, so the master that takes the pool over finds
    /// what a master that died left running. At most one live instance per worker name is a constraint. The
    /// cluster gets a name of its own, which instances carry as a label, so a reaper listing a provider never
    /// touches another cluster's.
    static let poolInstances = Migration(version: 20, summary: "pool instances, the cluster's name") { dialect in
        let cluster = String(UUID().uuidString.lowercased().prefix(8))
        return [
            "CREATE TABLE gantry_cluster (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "INSERT INTO gantry_cluster (id, name) VALUES (1, '\(cluster)')",
            """
            CREATE TABLE pool_instances (
                id \(dialect.serialPrimaryKey),
                pool TEXT NOT NULL,
                worker TEXT NOT NULL,
                provisioner VARCHAR(16) NOT NULL,
                provider_id TEXT,
                masterid BIGINT NOT NULL,
                epoch BIGINT NOT NULL,
                state VARCHAR(16) NOT NULL,
                started_at BIGINT NOT NULL,
                connected_at BIGINT,
                stopped_at BIGINT,
                detail TEXT
            )
            """,
            "CREATE UNIQUE INDEX pool_instances_live ON pool_instances (pool, worker) WHERE stopped_at IS NULL",
            "CREATE INDEX pool_instances_pool ON pool_instances (pool, id)",
        ]
    }
}
