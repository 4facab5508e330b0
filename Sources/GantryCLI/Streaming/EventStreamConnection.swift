import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// One connection to a master's event stream: the answer's body in the pieces it arrives in. ``read(_:)`` runs the
/// request and feeds ``chunks``; ``silence`` says how long nothing came, so that a dead stream can be ended.
final class EventStreamConnection: Sendable {
    /// The body's pieces; it ends when the master ends the stream, and fails with the transfer's error, or with
    /// ``EventStreamRefusal`` when the master answered other than 200.
    let chunks: AsyncThrowingStream<ByteBuffer, any Error>
    private let continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    private let lastReceived = Mutex(ContinuousClock.now)
    /// How much of an answer other than 200 is read to say why.
    private static let maxRefusal = 64 * 1024

    init() {
        (chunks, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
    }

    /// How long the connection has been silent.
    var silence: Duration {
        ContinuousClock.now - lastReceived.withLock { $0 }
    }

    /// Sends `request` and feeds the answer's body to ``chunks`` until it ends or this task is cancelled.
    func read(_ request: HTTPClientRequest) async {
        do {
            // No deadline: a healthy stream never ends; its silence is watched instead.
            let response = try await HTTPClient.shared.execute(request, deadline: .distantFuture)
            guard response.status == .ok else {
                var body = ByteBuffer()
                for try await var piece in response.body {
                    body.writeBuffer(&piece)
                    if body.readableBytes >= Self.maxRefusal { break }
                }
                continuation.finish(
                    throwing: EventStreamRefusal(status: Int(response.status.code), body: Data(body.readableBytesView)))
                return
            }
            for try await piece in response.body {
                lastReceived.withLock { $0 = .now }
                continuation.yield(piece)
            }
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }

    /// Ends ``chunks`` with `error`.
    func fail(_ error: any Error) {
        continuation.finish(throwing: error)
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
