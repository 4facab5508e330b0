/// Buildbot's `Trigger` step: adds a buildset on each named Triggerable scheduler and, with `waitForFinish`,
/// ends with the worst of their results.
public struct TriggerBuilds: Sendable, Hashable {
    public var schedulerNames: [String]
    public var waitForFinish = false
    /// Properties given to the triggered builds (texts may interpolate).
    public var setProperties: [String: String] = [:]
    /// Names of this build's properties copied to the triggered builds.
    public var copyProperties: [String] = []
    /// Trigger with this build's source stamps, pinned to `got_revision` when a checkout set it.
    public var updateSourceStamp = true

    public init(schedulerNames: [String]) {
        self.schedulerNames = schedulerNames
    }
}
