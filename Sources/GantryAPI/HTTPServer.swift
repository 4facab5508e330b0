import GantryModel
import Hummingbird
import NIOCore
public import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP API served on an address, as a service of the master's service group.
public struct HTTPServer: Service {
    private let host: String
    private let port: Int
    private let application: Application<RouterResponder<BasicRequestContext>>

    /// Serves `api` on `host:port` (port 0 picks a free one); `onListening` gets the port once the server
    /// accepts connections.
    public init(
        _ api: HTTPAPI,
        host: String,
        port: Int,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.application = Application(
            router: api.router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "gantry"),
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
