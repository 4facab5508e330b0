/// The timings of a master's part in the cluster.
public struct ClusterSettings: Sendable, Hashable {
    /// How often the master checks in, re-validates its claims and expires silent peers.
    public var heartbeat: Duration
    /// How long a peer may stay silent before it is expired and everything it held is released.
    public var expireAfter: Duration
    /// How often an inactive clustered service tries to claim itself.
    public var claimPoll: Duration
    /// How often, on PostgreSQL, the master looks for peers whose process is gone (their session ended), to
    /// expire them without waiting for `expireAfter`.
    public var sessionCheck: Duration = .seconds(1)
    /// How long a peer must be seen without its session, over two checks at least, before it is expired; a peer
    /// whose lock connection merely blinked takes its lock again well within it.
    public var sessionConfirmation: Duration = .seconds(2)

    public init(
        heartbeat: Duration = .seconds(5), expireAfter: Duration = .seconds(30), claimPoll: Duration = .seconds(5)
    ) {
        self.heartbeat = heartbeat
        self.expireAfter = expireAfter
        self.claimPoll = claimPoll
    }
}
