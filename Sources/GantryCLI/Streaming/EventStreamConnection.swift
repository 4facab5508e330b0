import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One connection to a master's event stream: the answer's body in the pieces it arrives in.
///
/// It reads through URLSession's data delegate, which hands a body over as it arrives on every platform
/// (`bytes(for:)` is missing from swift-corelibs-foundation). On Linux a request's timeout bounds the whole transfer,
/// not a silence, so the stream's silence is watched here instead: ``silence`` says how long nothing came.
final class EventStreamConnection: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: every stored property is immutable and Sendable or guarded by a Mutex; the checker cannot see it
    // only because NSObject, the superclass URLSession's delegates need, is not marked Sendable on every platform.

    /// The body's pieces; it ends when the master ends the stream, and fails with the transfer's error, or with
    /// ``EventStreamRefusal`` when the master answered other than 200.
    let chunks: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private let session = Mutex<URLSession?>(nil)
    private let lastReceived = Mutex(ContinuousClock.now)
    /// The body of an answer other than 200, kept (up to `maxRefusal` bytes) to say why.
    private let refusal = Mutex(Data())
    private static let maxRefusal = 64 * 1024

    /// Opens `request`.
    init(_ request: URLRequest) {
        let (chunks, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        self.chunks = chunks
        self.continuation = continuation
        super.init()
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
        self.session.withLock { $0 = session }
        session.dataTask(with: request).resume()
    }

    /// How long the connection has been silent.
    var silence: Duration {
        ContinuousClock.now - lastReceived.withLock { $0 }
    }

    /// Ends the connection; ``chunks`` fails with `error` (or just ends when there is none).
    func close(failing error: (any Error)? = nil) {
        if let error { continuation.finish(throwing: error) } else { continuation.finish() }
        session.withLock { session in
            session?.invalidateAndCancel()
            session = nil
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lastReceived.withLock { $0 = .now }
        guard (dataTask.response as? HTTPURLResponse)?.statusCode == 200 else {
            refusal.withLock { body in body.append(data.prefix(max(Self.maxRefusal - body.count, 0))) }
            return
        }
        continuation.yield(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error {
            continuation.finish(throwing: error)
        } else if let status = (task.response as? HTTPURLResponse)?.statusCode, status != 200 {
            let body = refusal.withLock { $0 }
            continuation.finish(throwing: EventStreamRefusal(status: status, body: body))
        } else {
            continuation.finish()
        }
    }
}

/// The master answered the event stream with a status other than 200.
struct EventStreamRefusal: Error, CustomStringConvertible {
    let status: Int
    /// The master's message (its JSON `error`), or the body as text.
    let message: String

    init(status: Int, body: Data) {
        self.status = status
        let text = String(decoding: body, as: UTF8.self)
        let error = try? JSONDecoder().decode([String: String].self, from: body)["error"]
        message = error ?? text
    }

    /// Whether the same request may pass later: the master was busy or failing, not refusing the request itself.
    var isTransient: Bool { status >= 500 || status == 429 }

    var description: String { "HTTP \(status): \(message)" }
}
