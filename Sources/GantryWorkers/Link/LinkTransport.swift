/// Where a ``WorkerLink`` writes: one binary WebSocket message per call, sent in the order of the calls.
public protocol LinkTransport: Sendable {
    func send(_ message: [UInt8]) async throws
    /// Ends the connection (a close frame where the transport has one).
    func close() async
}
