import NIOCore
import NIOWebSocket
import Synchronization

/// A ``LinkTransport`` over one WebSocket connection. Each frame goes to the channel as it is sent, under a lock,
/// so frames keep the order of the calls and never interleave; NIO queues what the socket cannot take yet. An
/// idle connection thus needs no writer task. Once a close frame is written, nothing more is.
final class WebSocketTransport: LinkTransport {
    private let channel: any Channel
    private let state = Mutex(State())

    private struct State {
        var closing = false
        /// The newest write: NIO completes writes in order, so once it is done, so is every earlier one.
        var lastWrite: EventLoopFuture<Void>?
    }

    init(channel: any Channel) {
        self.channel = channel
    }

    func send(_ message: [UInt8]) async throws {
        guard write(.binary, ByteBuffer(bytes: message)) != nil else { throw ChannelError.ioOnClosedChannel }
    }

    /// How long a close waits for the worker's answering close frame, or for what was written to go out, before
    /// the connection is closed regardless: a worker that stopped reading is let go.
    static let closeGrace = TimeAmount.seconds(1)

    /// Closes from this side: a close frame (with no status code, as Buildbot sends), then the connection when the
    /// worker answers it (the read ends) or after ``closeGrace``.
    func close() async {
        write(.connectionClose, ByteBuffer(), closing: true)
        let channel = channel
        channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
    }

    /// Answers the peer's ping.
    func pong(_ data: ByteBuffer) {
        write(.pong, data)
    }

    /// The close frame that answers the peer's (`status` nil), or the one with the status for a peer that broke
    /// RFC 6455 or the size limits. The connection closes once reading ends.
    func closeFrame(status: WebSocketErrorCode?) {
        var data = ByteBuffer()
        if let status { data.write(webSocketErrorCode: status) }
        write(.connectionClose, data, closing: true)
    }

    /// Returns once every frame written so far is out (or failed with the connection), or after ``closeGrace``.
    func drained() async {
        guard let last = state.withLock({ $0.lastWrite }) else { return }
        let done = last.eventLoop.makePromise(of: Void.self)
        // Whichever comes first completes it; NIO ignores the second.
        last.whenComplete { _ in done.succeed() }
        let deadline = last.eventLoop.scheduleTask(in: Self.closeGrace) { done.succeed() }
        try? await done.futureResult.get()
        deadline.cancel()
    }

    @discardableResult
    private func write(_ opcode: WebSocketOpcode, _ data: ByteBuffer, closing: Bool = false) -> EventLoopFuture<Void>? {
        state.withLock { state in
            guard !state.closing else { return nil }
            state.closing = closing
            let written = channel.writeAndFlush(WebSocketFrame(fin: true, opcode: opcode, data: data))
            state.lastWrite = written
            return written
        }
    }
}
