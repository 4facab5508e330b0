import GantryModel
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// Whether a connection's first request becomes one of Buildbot's WebSockets (``BuildbotSocket``): it must ask
/// for `/buildbot/ws`, come from this master's own pages when a browser sends it (a browser's `Origin` must name
/// this master: another site's page cannot read the feed through a visitor's browser or login), and pass the
/// API's own access rules (``CallerMiddleware``: the same credentials, loopback-only names without `auth`, and
/// the right to read). A refused upgrade is answered 400 by the upgrade channel.
struct BuildbotSocketUpgrade: Sendable {
    /// Where the socket is: the UI's page + `ws`.
    static let path = BuildbotUI.mountPath + "/ws"

    let api: HTTPAPI
    var limits = BuildbotSocketSession.Limits()

    /// The upgrade channel's question for a request asking to upgrade; `channel` is its connection.
    func shouldUpgrade(
        _ head: HTTPRequest, channel: any Channel, logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        guard request.uri.path == Self.path else { return .dontUpgrade }
        let client: Logger.Metadata = [LogKey.httpClient: "\(channel.remoteAddress?.description ?? "unknown")"]
        if let origin = head.headerFields[.origin], Self.isBrowserOrigin(origin), !SameOrigin.matches(origin, request) {
            api.logger.debug("refused a Buildbot UI socket opened by another site's page", metadata: client)
            return .dontUpgrade
        }
        guard await mayRead(request, channel: channel, logger: logger) else {
            api.logger.debug("refused a Buildbot UI socket the access rules do not allow", metadata: client)
            return .dontUpgrade
        }
        let socket = BuildbotSocket(feed: api.eventFeed, channel: channel, limits: limits, logger: api.logger)
        let handler: WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context> = { inbound, outbound, _ in
            try await socket.run(inbound: inbound, outbound: outbound)
        }
        return .upgrade([:], handler)
    }

    /// Whether a browser may have sent `origin`: browsers send an `http(s)` origin, or `null` from an opaque one.
    /// Clients that are not browsers send what they like (WebSocket clients often their `ws://` address); they
    /// carry no visitor's login to abuse, and pass the access rules on their own credentials.
    static func isBrowserOrigin(_ origin: String) -> Bool {
        let lowered = origin.lowercased()
        return lowered.hasPrefix("http://") || lowered.hasPrefix("https://") || lowered == "null"
    }

    /// Whether the API's caller middleware lets `request` through to a route, as it would a `GET` of the UI's page.
    private func mayRead(_ request: Request, channel: any Channel, logger: Logger) async -> Bool {
        let context = APIRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let middleware = CallerMiddleware(access: api.access, database: api.database, logger: api.logger)
        var admitted = false
        _ = try? await middleware.handle(request, context: context) { _, context in
            admitted = context.identity != nil
            return Response(status: .ok)
        }
        return admitted
    }
}
