/// Buildbot's `FileUpload`: a file of the worker copied to the master, delivered only when it arrived whole.
public struct FileUpload: Sendable, Hashable {
    /// On the worker, relative to `workdir`.
    public var workersrc: String
    /// On the master; relative paths are relative to the master's working directory.
    public var masterdest: String
    public var workdir = "build"
    /// Permission bits of the delivered file (e.g. 0o644); the umask's default when nil.
    public var mode: Int?
    /// Bytes at most; a larger file fails the step.
    public var maxsize: Int?
    /// A link the step adds as it starts (Buildbot's `url`), named `urlText` or else the file name of
    /// `masterdest`; both interpolated.
    public var url: String?
    public var urlText: String?

    public init(workersrc: String, masterdest: String) {
        self.workersrc = workersrc
        self.masterdest = masterdest
    }
}
