public import Foundation

/// How long the database keeps what finished, and how often the janitor deletes what is older (Buildbot's
/// `JanitorConfigurator` with its `logHorizon`; Buildbot keeps builds forever). Nothing is deleted unless set.
public struct RetentionSettings: Sendable, Hashable {
    /// How long the lines of a finished build's logs are kept; the logs themselves stay, with their line counts,
    /// as long as the build. `nil` keeps the lines as long as the build.
    public var logs: Duration?
    /// How long finished builds are kept, with their steps, logs and properties; the completed buildsets and
    /// requests no build refers to any more, changes no pending buildset needs, audit entries and settled
    /// reports go when this old too. `nil` keeps them all.
    public var builds: Duration?
    /// How often the janitor runs a pass.
    public var interval: Duration

    public init(logs: Duration? = nil, builds: Duration? = nil, interval: Duration = .seconds(3600)) {
        self.logs = logs
        self.builds = builds
        self.interval = interval
    }

    /// The time before which the lines of finished builds' logs go at `now`: the later of the two horizons, since
    /// the builds that go take their logs along.
    public func logsCutoff(at now: Date) -> Date? {
        [logs, builds].compactMap { $0.map { now.addingTimeInterval(-$0.timeInterval) } }.max()
    }

    /// The time before which finished builds, and what goes with them, are deleted at `now`.
    public func buildsCutoff(at now: Date) -> Date? {
        builds.map { now.addingTimeInterval(-$0.timeInterval) }
    }
}
