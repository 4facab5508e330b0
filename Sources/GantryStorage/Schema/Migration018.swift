extension Migration {
    /// Where a buildset came from, as Buildbot records it: the build whose Trigger step added it and how it relates
    /// to that build, and the build a rebuild repeats. A deleted build leaves them `NULL`; the indexes keep those
    /// deletes from scanning every buildset, and serve the web UI's search for the rebuilds of a build.
    static let buildsetLineage = Migration(version: 18, summary: "buildset parents and rebuilds") { _ in
        [
            "ALTER TABLE buildsets ADD COLUMN parent_buildid BIGINT REFERENCES builds (id) ON DELETE SET NULL",
            "ALTER TABLE buildsets ADD COLUMN parent_relationship TEXT",
            "ALTER TABLE buildsets ADD COLUMN rebuilt_buildid BIGINT REFERENCES builds (id) ON DELETE SET NULL",
            "CREATE INDEX buildsets_parent_buildid ON buildsets (parent_buildid)",
            "CREATE INDEX buildsets_rebuilt_buildid ON buildsets (rebuilt_buildid)",
        ]
    }
}
