import NIOCore
import NIOWebSocket

/// A ``LinkTransport`` over one WebSocket connection. Sends are queued in call order and written by the
/// connection's single writer, so messages never interleave.
struct WebSocketTransport: LinkTransport {
    enum Outgoing: Sendable {
        case message([UInt8])
        case pong(ByteBuffer)
        /// A close frame (with no status code, as Buildbot sends), then the end of writing.
        case close
        /// A close frame with the status for a peer that broke RFC 6455 or the size limits, then the end of
        /// writing.
        case fail(WebSocketErrorCode)
    }

    let queue: AsyncStream<Outgoing>.Continuation

    func send(_ message: [UInt8]) async throws {
        guard case .enqueued = queue.yield(.message(message)) else { throw ChannelError.ioOnClosedChannel }
    }

    func close() async {
        queue.yield(.close)
    }

    /// Writes what is queued until a close or the end of the queue.
    static func write(
        _ queue: AsyncStream<Outgoing>,
        to outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    ) async throws {
        for await item in queue {
            switch item {
            case .message(let bytes):
                try await outbound.write(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: bytes)))
            case .pong(let data):
                try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: data))
            case .close:
                try await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer()))
                return
            case .fail(let status):
                var data = ByteBuffer()
                data.write(webSocketErrorCode: status)
                try await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
                return
            }
        }
    }
}
