/// Bounds on connections to the worker port that have not authenticated (finished their upgrade) yet. Each
/// costs a descriptor and proves nothing, so a peer must not be able to hold many of them, or any for long.
/// Authenticated workers are watched by the protocol's keepalive instead.
public struct WorkerPortLimits: Sendable, Hashable {
    /// How long a connection may take to finish its upgrade; a worker itself gives up after 5 s.
    public var upgradeTimeout: Duration
    /// How long a connection that has not upgraded may send nothing.
    public var idleTimeout: Duration
    /// How many connections may be open without having upgraded; beyond it, new ones are closed at once.
    public var maxUnauthenticatedConnections: Int

    /// Limits that no worker on a working network reaches.
    public init(
        upgradeTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(5),
        maxUnauthenticatedConnections: Int = 256
    ) {
        self.upgradeTimeout = upgradeTimeout
        self.idleTimeout = idleTimeout
        self.maxUnauthenticatedConnections = maxUnauthenticatedConnections
    }
}
