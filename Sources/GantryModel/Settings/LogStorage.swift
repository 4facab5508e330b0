/// Where the lines of finished logs are kept. Lines are always written to the database while a step runs, so a
/// running log can be followed from any master; once a log is finished it is settled in the background, away from
/// the step's path: merged into larger compressed chunks in the database, or moved into one file per log.
public enum LogStorage: Sendable, Hashable {
    /// In the database's `logchunks`, merged into chunks of up to 256 KiB of text.
    case database
    /// One file per finished log in `directory`, which every master of the cluster must reach at the same path
    /// (a shared mount): the database keeps only the file's path, so a 1 GB log does not bloat it.
    case files(directory: String)
}
