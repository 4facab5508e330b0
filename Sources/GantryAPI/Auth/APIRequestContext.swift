public import GantryModel
public import Hummingbird
public import HummingbirdAuth
public import NIOCore

/// What every route of the HTTP API gets with a request: Hummingbird's core context, the peer's address (for
/// the trusted-proxy check, rate limits and the audit log), and the caller the authentication middleware found.
public struct APIRequestContext: AuthRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``CallerMiddleware`` before any route runs; `nil` only before it.
    public var identity: Caller?
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text (`127.0.0.1`, `::1`); `nil` for a unix socket.
    var peerAddress: String? { remoteAddress?.ipAddress }
}
