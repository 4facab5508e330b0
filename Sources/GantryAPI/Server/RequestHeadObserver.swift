import NIOCore
import NIOHTTPTypes

/// What ``RequestHeadObserver`` tells ``RequestHeadTimeoutHandler``, as an outbound user event: outbound events
/// travel towards the socket, where that handler sits.
enum RequestHeadEvent: Sendable {
    case headReceived
    case responseSent
}

/// Reports decoded request heads and sent responses to ``RequestHeadTimeoutHandler``; it sits behind the HTTP
/// decoder, where requests are parts rather than bytes.
final class RequestHeadObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            context.triggerUserOutboundEvent(RequestHeadEvent.headReceived, promise: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var isEnd = false
        if case .end = unwrapOutboundIn(data) { isEnd = true }
        context.write(data, promise: promise)
        if isEnd { context.triggerUserOutboundEvent(RequestHeadEvent.responseSent, promise: nil) }
    }
}
