import GantryModel
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// One client of Buildbot's WebSocket (`/buildbot/ws`): the I/O around ``BuildbotSocketSession``, which decides
/// everything. Three tasks share the session under a lock: one reads the client's frames, one follows the event
/// feed from the moment the socket opened, and one writes what the session queued, in the order it was queued.
///
/// The socket ends when the client closes it, when the client falls so far behind that the session cuts it off
/// (its connection is closed at once, whatever is unwritten), or when the master shuts down (closed with 1000).
struct BuildbotSocket: Sendable {
    /// The WebSocket settings of the upgrade: frames of at most 64 KiB (a larger one is closed with 1009), and a
    /// ping every 30 s, which closes a peer that has not answered the one before; a browser answers by itself.
    static let configuration = WebSocketServerConfiguration(
        maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30)))
    /// The largest message read from a client, its fragments joined.
    static let maxMessageBytes = 1 << 16

    let feed: EventFeed
    /// The socket's connection, closed at once when the session cuts the client off.
    let channel: any Channel
    let limits: BuildbotSocketSession.Limits
    let logger: Logger

    /// The session, shared by the socket's tasks.
    private final class Shared: Sendable {
        let session: Mutex<BuildbotSocketSession>

        init(_ session: BuildbotSocketSession) {
            self.session = Mutex(session)
        }
    }

    /// Serves the socket until it ends.
    /// - Throws: The socket's or the feed's error, which closes the socket with 1011.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        // The events the client may consume are those after this cursor: committed once the socket was open.
        let cursor = try await feed.newest()
        let shared = Shared(BuildbotSocketSession(limits: limits))
        let (outbox, queue) = AsyncStream<String>.makeStream()
        defer { queue.finish() }
        logger.debug("Buildbot UI socket opened", metadata: metadata)
        defer { logger.debug("Buildbot UI socket closed", metadata: metadata) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await read(inbound, into: shared, queue: queue) }
            group.addTask { try await follow(after: cursor, into: shared, queue: queue) }
            group.addTask { try await write(outbox, to: outbound, shared: shared) }
            // The first task to end ends the socket.
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    /// The client's messages, until it closes the socket.
    private func read(
        _ inbound: WebSocketInboundStream, into shared: Shared, queue: AsyncStream<String>.Continuation
    ) async throws {
        for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
            let text: String
            switch message {
            case .text(let string): text = string
            case .binary(let buffer): text = String(buffer: buffer)
            }
            decide(shared, queue: queue) { $0.frameReceived(text) }
        }
    }

    /// The feed's events after `start`, until cancelled.
    private func follow(
        after start: Int, into shared: Shared, queue: AsyncStream<String>.Continuation
    ) async throws {
        var cursor = start
        while true {
            switch try await feed.next(after: cursor) {
            case .events(let events):
                cursor = events.last?.id ?? cursor
                decide(shared, queue: queue) { $0.eventsRead(events) }
            case .resync(let newest):
                // Buildbot's protocol cannot tell a client it missed events: it goes on with those that follow.
                logger.debug(
                    "Buildbot UI socket missed events trimmed from the feed",
                    metadata: metadata.merging([LogKey.detail: "\(cursor)..\(newest)"]) { $1 })
                cursor = newest
            }
        }
    }

    /// Writes what the session queued, in order, telling it each message written.
    private func write(
        _ outbox: AsyncStream<String>, to outbound: WebSocketOutboundWriter, shared: Shared
    ) async throws {
        for await message in outbox {
            try await outbound.writeTextMessage(message)
            shared.session.withLock { $0.messageWritten(bytes: message.utf8.count) }
        }
    }

    /// Runs one decision of the session and carries out its action under the same lock, so the socket's messages
    /// leave in the order they were decided.
    private func decide(
        _ shared: Shared, queue: AsyncStream<String>.Continuation,
        _ decision: (inout BuildbotSocketSession) -> BuildbotSocketSession.Action
    ) {
        shared.session.withLock { session in
            switch decision(&session) {
            case .send(let messages):
                for message in messages { queue.yield(message) }
            case .abort(let queuedBytes):
                logger.debug(
                    "closing a Buildbot UI socket whose client reads too slowly",
                    metadata: metadata.merging([LogKey.detail: "\(queuedBytes) bytes waiting"]) { $1 })
                channel.close(promise: nil)
                queue.finish()
            case .wait:
                break
            }
        }
    }

    private var metadata: Logger.Metadata {
        [LogKey.httpClient: "\(channel.remoteAddress?.description ?? "unknown")"]
    }
}
