/// Buildbot's `FileDownload`: a file of the master copied to the worker.
public struct FileDownload: Sendable, Hashable {
    /// On the master.
    public var mastersrc: String
    /// On the worker, relative to `workdir`.
    public var workerdest: String
    public var workdir = "build"
    /// Permission bits of the file on the worker.
    public var mode: Int?
    /// Bytes at most; a larger file fails the step.
    public var maxsize: Int?

    public init(mastersrc: String, workerdest: String) {
        self.mastersrc = mastersrc
        self.workerdest = workerdest
    }
}
