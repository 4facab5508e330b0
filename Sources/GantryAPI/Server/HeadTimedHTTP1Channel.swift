import GantryTLS
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel with a deadline for request heads in front of it: the deadline must see raw bytes,
/// before the HTTP decoder that Hummingbird's own handlers sit behind.
///
/// With TLS, the TLS handler goes in front of both: the deadline then sees the requests' bytes, not the records
/// carrying them, and since it runs from the moment the connection opens, it covers the handshake too.
struct HeadTimedHTTP1Channel: ServerChildChannel {
    typealias Value = AcceptedConnection

    let base: HTTP1Channel
    let headerTimeout: TimeAmount
    let tls: TLSServerContext?

    /// Serves `responder` over HTTP/1 (over TLS with `tls`), closing connections idle for `idleTimeout` and those
    /// whose request head takes longer than `headerTimeout`.
    init(
        responder: @escaping HTTPChannelHandler.Responder,
        headerTimeout: TimeAmount,
        idleTimeout: TimeAmount,
        tls: TLSServerContext? = nil
    ) {
        self.base = HTTP1Channel(
            responder: responder,
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [RequestHeadObserver()],
                idleTimeout: idleTimeout
            )
        )
        self.headerTimeout = headerTimeout
        self.tls = tls
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(
                RequestHeadTimeoutHandler(timeout: headerTimeout, logger: logger), position: .first)
            if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeHandler(), position: .first) }
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger).map(AcceptedConnection.init)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value.take(), logger: logger)
    }
}
