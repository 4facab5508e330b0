public import GantryModel
public import GantryTLS
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import NIOCore
public import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP API served on an address, as a service of the master's service group.
public struct HTTPServer: Service {
    private let host: String
    private let port: Int
    private let application: Application<MountedAPIResponder>

    /// Serves `api` on `host:port` (port 0 picks a free one) within `limits`, over TLS with `tls`, and Buildbot's
    /// own web UI under ``BuildbotUI/mountPath`` with `buildbotUI`; `onListening` gets the port once the server
    /// accepts connections.
    public init(
        _ api: HTTPAPI,
        host: String,
        port: Int,
        limits: HTTPLimits = HTTPLimits(),
        tls: TLSServerContext? = nil,
        buildbotUI: BuildbotUI? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        let headerTimeout = TimeAmount(limits.headerTimeout)
        let idleTimeout = TimeAmount(limits.idleTimeout)
        let router = api.router()
        let server: HTTPServerBuilder
        if let buildbotUI {
            buildbotUI.addRoutes(to: router, api: api)
            let sockets = BuildbotSocketUpgrade(api: api)
            server = HTTPServerBuilder { responder in
                HeadTimedHTTP1Channel<HTTP1WebSocketUpgradeChannel>(
                    responder: responder, headerTimeout: headerTimeout, idleTimeout: idleTimeout, tls: tls,
                    webSocket: BuildbotSocket.configuration
                ) { head, channel, logger in
                    await sockets.shouldUpgrade(head, channel: channel, logger: logger)
                }
            }
        } else {
            server = HTTPServerBuilder { responder in
                HeadTimedHTTP1Channel<HTTP1Channel>(
                    responder: responder, headerTimeout: headerTimeout, idleTimeout: idleTimeout, tls: tls)
            }
        }
        self.application = Application(
            responder: MountedAPIResponder(
                router: router.buildResponder(), mount: buildbotUI == nil ? nil : BuildbotUI.mountPath),
            server: server,
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
