extension Migration {
    /// Finished logs are settled in the background: `compacted` says a log's chunks were merged or moved, and
    /// `archive` names the file holding the lines of a log moved out of the database. Logs finished before were
    /// merged as they finished. The partial index holds only the logs still to settle, so finding them stays cheap
    /// however many logs there are.
    static let logArchives = Migration(version: 17, summary: "log archives") { _ in
        [
            "ALTER TABLE logs ADD COLUMN archive TEXT",
            "ALTER TABLE logs ADD COLUMN compacted BOOLEAN NOT NULL DEFAULT FALSE",
            "UPDATE logs SET compacted = complete",
            "CREATE INDEX logs_unsettled ON logs (id) WHERE complete AND NOT compacted",
        ]
    }
}
