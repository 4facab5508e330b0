import NIOCore
import NIOWebSocket
import Synchronization

/// Keeps the error NIO's frame decoder refused a frame with. Its error handler closes the connection before the
/// error travels on, so the reader sees only the end of the stream; this, placed right behind the decoder, keeps
/// why, for the log.
final class FrameErrorRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let recorded = Mutex<NIOWebSocketError?>(nil)

    /// The decoder's error, once it refused a frame.
    var error: NIOWebSocketError? { recorded.withLock { $0 } }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError { recorded.withLock { $0 = error } }
        context.fireErrorCaught(error)
    }
}
