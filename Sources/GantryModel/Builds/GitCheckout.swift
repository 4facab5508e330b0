/// Buildbot's `Git` step: checks out the build's revision (or the branch's head) into the workdir and sets
/// `got_revision`.
public struct GitCheckout: Sendable, Hashable {
    /// Buildbot's modes: keep the checkout and update it, or start from a clean tree.
    public enum Mode: Sendable, Hashable {
        /// Fetch into the existing clone.
        case incremental
        /// `clobber` removes the directory and clones again; `fresh` removes untracked files (`git clean -xdf`).
        case full(method: FullMethod)
    }

    public enum FullMethod: String, Sendable, Hashable {
        case clobber, fresh
    }

    public var repourl: String
    /// Used when the build's source stamp names no branch.
    public var branch = "HEAD"
    public var mode = Mode.incremental
    public var workdir = "build"
    /// The codebase whose source stamp gives branch and revision.
    public var codebase = ""

    public init(repourl: String) {
        self.repourl = repourl
    }
}
