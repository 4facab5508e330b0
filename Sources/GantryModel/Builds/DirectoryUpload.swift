/// Buildbot's `DirectoryUpload`: a directory of the worker copied to the master, as a tar stream extracted
/// safely (no absolute names, no `..`, no links) and delivered only when the whole stream arrived.
public struct DirectoryUpload: Sendable, Hashable {
    /// On the worker, relative to `workdir`.
    public var workersrc: String
    /// On the master; replaced as a whole.
    public var masterdest: String
    public var workdir = "build"
    /// Bytes of the tar stream at most.
    public var maxsize: Int?

    public init(workersrc: String, masterdest: String) {
        self.workersrc = workersrc
        self.masterdest = masterdest
    }
}
