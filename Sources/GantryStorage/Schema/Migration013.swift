extension Migration {
    /// The links steps add (Buildbot's `steps.urls_json`): a JSON list of `{"name", "url"}`, in the order added.
    static let stepDetails = Migration(version: 13, summary: "step urls and descriptions") { _ in
        ["ALTER TABLE steps ADD COLUMN urls_json TEXT NOT NULL DEFAULT '[]'"]
    }
}
