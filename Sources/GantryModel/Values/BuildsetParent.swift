/// The build a buildset was added from, and how it relates to it: Buildbot's `parent_buildid` and
/// `parent_relationship`, which its web UI follows from a triggered build back to the build that triggered it.
public struct BuildsetParent: Sendable, Hashable {
    public var buildID: Int
    public var relationship: String

    /// The relationship Buildbot's Trigger step records unless told otherwise.
    public static let triggeredFrom = "Triggered from"

    public init(buildID: Int, relationship: String) {
        self.buildID = buildID
        self.relationship = relationship
    }
}
