import HummingbirdCore
import NIOCore
import Synchronization

/// An HTTP connection set up and handed to the server to serve. NIO requires every async channel to be closed
/// through `executeThenClose`; the server drops those it had not taken yet when it stops (cancelled as a connection
/// arrives), and a dropped one would stop the process. So one dropped unserved is closed here instead, by
/// `closeUnserved`: for a plain HTTP/1 connection that is `executeThenClose` on its channel; for one that may
/// become a WebSocket, whose async channel exists only once its first request has decided what it is, the channel
/// is closed and handed to its own handler, which then finishes whichever async channel there is.
final class AcceptedConnection<Connection: ServerChildChannelValue>: ServerChildChannelValue {
    private let connection: Connection
    private let closeUnserved: @Sendable (Connection) async -> Void
    private let served = Atomic<Bool>(false)

    var channel: any Channel { connection.channel }

    init(_ connection: Connection, closeUnserved: @escaping @Sendable (Connection) async -> Void) {
        self.connection = connection
        self.closeUnserved = closeUnserved
    }

    /// The connection, to serve; once taken, serving it closes it.
    func take() -> Connection {
        served.store(true, ordering: .relaxed)
        return connection
    }

    deinit {
        guard !served.load(ordering: .relaxed) else { return }
        let connection = connection
        let closeUnserved = closeUnserved
        Task { await closeUnserved(connection) }
    }
}
