import GantryTLS
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel (`HTTP1Channel`, or `HTTP1WebSocketUpgradeChannel` when some path takes WebSocket
/// connections) with a deadline for request heads in front of it: the deadline must see raw bytes, before the HTTP
/// decoder that Hummingbird's own handlers sit behind.
///
/// With TLS, the TLS handler goes in front of both: the deadline then sees the requests' bytes, not the records
/// carrying them, and since it runs from the moment the connection opens, it covers the handshake too.
struct HeadTimedHTTP1Channel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = AcceptedConnection<Base.Value>

    let base: Base
    let headerTimeout: TimeAmount
    let tls: TLSServerContext?
    /// How a connection the server dropped before serving it is closed (see ``AcceptedConnection``).
    let closeUnserved: @Sendable (Base.Value) async -> Void
    /// The logger `base` serves a connection with, from the server's.
    let handlingLogger: @Sendable (Logger) -> Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(
                RequestHeadTimeoutHandler(timeout: headerTimeout, logger: logger), position: .first)
            if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeHandler(), position: .first) }
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let closeUnserved = closeUnserved
        return base.setup(channel: channel, logger: logger).map { connection in
            AcceptedConnection(connection, closeUnserved: closeUnserved)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value.take(), logger: handlingLogger(logger))
    }

    /// HTTP/1 with the head deadline's observer behind the decoder, closing connections idle for `idleTimeout`.
    fileprivate static func http1(idleTimeout: TimeAmount) -> HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(additionalChannelHandlers: [RequestHeadObserver()], idleTimeout: idleTimeout)
    }
}

extension HeadTimedHTTP1Channel where Base == HTTP1Channel {
    /// Serves `responder` over HTTP/1 (over TLS with `tls`), closing connections idle for `idleTimeout` and those
    /// whose request head takes longer than `headerTimeout`.
    init(
        responder: @escaping HTTPChannelHandler.Responder,
        headerTimeout: TimeAmount,
        idleTimeout: TimeAmount,
        tls: TLSServerContext? = nil
    ) {
        self.init(
            base: HTTP1Channel(responder: responder, configuration: Self.http1(idleTimeout: idleTimeout)),
            headerTimeout: headerTimeout,
            tls: tls,
            closeUnserved: { connection in try? await connection.executeThenClose { _, _ in } },
            handlingLogger: { $0 })
    }
}

extension HeadTimedHTTP1Channel where Base == HTTP1WebSocketUpgradeChannel {
    /// Serves `responder` as the plain HTTP/1 channel does, and also lets a connection's first request upgrade it
    /// to a WebSocket when `shouldUpgrade` says so.
    ///
    /// A request that asks for an upgrade bypasses the head deadline's observer (it never reaches the HTTP/1
    /// handlers), so the channel tells the deadline the head arrived (``RequestHeadEvent/headReceived``) before
    /// asking `shouldUpgrade`; the idle timeout does not apply to a WebSocket, whose pings find a peer that went
    /// away.
    init(
        responder: @escaping HTTPChannelHandler.Responder,
        headerTimeout: TimeAmount,
        idleTimeout: TimeAmount,
        tls: TLSServerContext? = nil,
        webSocket: WebSocketServerConfiguration,
        shouldUpgrade:
            @escaping @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
                WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
            >
    ) {
        let base = HTTP1WebSocketUpgradeChannel(
            responder: responder,
            configuration: HTTP1WebSocketUpgradeChannel.Configuration(
                http1: Self.http1(idleTimeout: idleTimeout), ws: webSocket),
            shouldUpgrade: { head, channel, logger in
                channel.triggerUserOutboundEvent(RequestHeadEvent.headReceived, promise: nil)
                return try await shouldUpgrade(head, channel, logger)
            })
        // The upgrade channel logs a connection closed before its first request decided anything (as the head
        // deadline closes a silent one) as an error, and its other lines are about connections; Gantry logs those
        // itself, so the channel's own lines are dropped.
        let quiet = Logger(label: "gantry.http.connection") { _ in SwiftLogNoOpLogHandler() }
        self.init(
            base: base,
            headerTimeout: headerTimeout,
            tls: tls,
            closeUnserved: { connection in
                connection.channel.close(promise: nil)
                await base.handle(value: connection, logger: quiet)
            },
            handlingLogger: { _ in quiet })
    }
}
