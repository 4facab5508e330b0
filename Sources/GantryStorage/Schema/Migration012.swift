extension Migration {
    /// How each log chunk's content is stored, in Buildbot's column and codes: 0 as it is, 1 zlib (Buildbot's `gz`).
    /// Chunks written before are as they were, 0; the default needs no rewrite of the table on either database.
    static let logCompression = Migration(version: 12, summary: "logchunks compressed") { _ in
        ["ALTER TABLE logchunks ADD COLUMN compressed SMALLINT NOT NULL DEFAULT 0"]
    }
}
