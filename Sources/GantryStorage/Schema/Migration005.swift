extension Migration {
    /// Control requests that must reach whichever master runs the build or holds the worker: a build's stop
    /// reason, a worker's kill request. And builders' tags (a JSON list) beside their description.
    static let control = Migration(version: 5, summary: "build stop requests, worker kill requests, builder tags") {
        _ in
        [
            "ALTER TABLE builds ADD COLUMN stop_reason TEXT",
            "ALTER TABLE workers ADD COLUMN kill_requested BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE builders ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'",
        ]
    }
}
