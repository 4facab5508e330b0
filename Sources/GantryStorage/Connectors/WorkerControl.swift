/// What the master holding a worker must obey: take no new builds when paused or graceful, shut it down when
/// graceful and idle, or at once when a kill was requested.
public struct WorkerControl: Sendable, Hashable {
    public var paused: Bool
    public var graceful: Bool
    public var killRequested: Bool

    public init(paused: Bool = false, graceful: Bool = false, killRequested: Bool = false) {
        self.paused = paused
        self.graceful = graceful
        self.killRequested = killRequested
    }

    /// Whether the worker may start a build.
    public var acceptsBuilds: Bool { !paused && !graceful && !killRequested }
}
