import GantryModel
import Logging
import NIOCore

/// Closes a connection whose request head is not complete in time (see ``RequestHeadDeadline``). It sits at the
/// front of the pipeline to see the first raw byte of each request; ``RequestHeadObserver``, behind the HTTP
/// decoder, tells it when a head was decoded and when a response was sent.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let timeout: TimeAmount
    private let logger: Logger
    private var deadline = RequestHeadDeadline()
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { run(deadline.connectionOpened(), context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelActive(context: ChannelHandlerContext) {
        run(deadline.connectionOpened(), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        run(deadline.connectionClosed(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        run(deadline.bytesReceived(), context: context)
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        switch event as? RequestHeadEvent {
        case .headReceived?:
            run(deadline.headReceived(), context: context)
            promise?.succeed()
        case .responseSent?:
            run(deadline.responseSent(), context: context)
            promise?.succeed()
        case nil:
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    private func run(_ action: RequestHeadDeadline.Action, context: ChannelHandlerContext) {
        switch action {
        case .startTimer:
            cancelTimer()
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.timer = nil
                self.run(self.deadline.timerFired(), context: context)
            }
        case .cancelTimer:
            cancelTimer()
        case .close:
            logger.debug(
                "closing an HTTP connection whose request head did not arrive in time",
                metadata: [LogKey.httpClient: "\(context.remoteAddress?.description ?? "unknown")"])
            context.close(promise: nil)
        case .wait:
            break
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}
