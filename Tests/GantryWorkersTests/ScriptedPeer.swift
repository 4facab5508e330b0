import GantryWire
import GantryWorkers
import Synchronization

/// The worker's end of a ``WorkerLink`` played by the test: what the link sends is recorded, and the test
/// answers with messages of its own (often the captured ones of a real buildbot-worker).
final class ScriptedPeer: LinkTransport {
    private let state = Mutex<(sent: [WireMessage], closed: Bool)>(([], false))

    func send(_ message: [UInt8]) async throws {
        let decoded = try WireMessage(decoding: message)
        state.withLock { $0.sent.append(decoded) }
    }

    func close() async {
        state.withLock { $0.closed = true }
    }

    var sent: [WireMessage] { state.withLock { $0.sent } }
    var closed: Bool { state.withLock { $0.closed } }

    /// The requests the link sent, in order.
    var requests: [WireRequest] {
        sent.compactMap { if case .request(let request) = $0 { request } else { nil } }
    }

    /// The answers the link gave, in order.
    var responses: [WireResponse] {
        sent.compactMap { if case .response(let response) = $0 { response } else { nil } }
    }
}

extension WorkerLink {
    /// Delivers a message as the worker would.
    func deliver(_ message: WireMessage) async throws {
        try await receive(message.encoded())
    }
}
