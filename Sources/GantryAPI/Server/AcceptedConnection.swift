import HummingbirdCore
import NIOCore
import Synchronization

/// An HTTP connection set up and handed to the server to serve. NIO requires every async channel to be closed
/// through `executeThenClose`; the server drops those it had not taken yet when it stops (cancelled as a connection
/// arrives), and a dropped one would stop the process. So one dropped unserved is closed here instead.
final class AcceptedConnection: ServerChildChannelValue {
    private let connection: HTTP1Channel.Value
    private let served = Atomic<Bool>(false)

    var channel: any Channel { connection.channel }

    init(_ connection: HTTP1Channel.Value) {
        self.connection = connection
    }

    /// The connection, to serve; once taken, serving it closes it.
    func take() -> HTTP1Channel.Value {
        served.store(true, ordering: .relaxed)
        return connection
    }

    deinit {
        guard !served.load(ordering: .relaxed) else { return }
        let connection = connection
        Task { try? await connection.executeThenClose { _, _ in } }
    }
}
