public import GantryModel
public import GantryTLS
import Hummingbird
import HummingbirdCore
import NIOCore
public import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP API served on an address, as a service of the master's service group.
public struct HTTPServer: Service {
    private let host: String
    private let port: Int
    private let application: Application<RouterResponder<APIRequestContext>>

    /// Serves `api` on `host:port` (port 0 picks a free one) within `limits`, over TLS with `tls`; `onListening` gets
    /// the port once the server accepts connections.
    public init(
        _ api: HTTPAPI,
        host: String,
        port: Int,
        limits: HTTPLimits = HTTPLimits(),
        tls: TLSServerContext? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        let headerTimeout = TimeAmount(limits.headerTimeout)
        let idleTimeout = TimeAmount(limits.idleTimeout)
        self.application = Application(
            router: api.router(),
            server: HTTPServerBuilder { responder in
                HeadTimedHTTP1Channel(
                    responder: responder, headerTimeout: headerTimeout, idleTimeout: idleTimeout, tls: tls)
            },
            // Beyond the cap, connections wait in the listen backlog rather than each taking a descriptor.
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port),
                serverName: "gantry",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: api.logger)
            ),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: api.logger
        )
    }

    /// Serves until cancelled or shut down gracefully.
    /// - Throws: `GantryError.addressUnavailable` naming the address when it cannot listen there.
    public func run() async throws {
        do {
            try await application.run()
        } catch let error as IOError {
            let reason = String(cString: strerror(error.errnoCode))
            throw GantryError(.addressUnavailable, "cannot serve the HTTP API on \(host):\(port): \(reason)")
        }
    }
}
