/// What the HTTP API allows each client, so that clients sending slowly or holding connections idle cannot use up
/// the master's descriptors.
public struct HTTPLimits: Sendable, Hashable {
    /// How long a client may take to send a request's line and headers, counted from when its connection opens
    /// and from the first byte of each later request on it.
    public var headerTimeout: Duration
    /// How long a connection may stay open with no request in progress.
    public var idleTimeout: Duration
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    public var maxConnections: Int

    public init(
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        maxConnections: Int = 1000
    ) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}
