import NIOCore

/// Closes a connection as soon as it is up, before anything is read: the port sheds connections beyond its
/// limit of unauthenticated ones this way.
final class CloseWhenActive: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
