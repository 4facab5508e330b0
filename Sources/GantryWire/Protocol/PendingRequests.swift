/// One peer's numbered requests awaiting their answers. Both ends of the protocol send requests, number them
/// from 0 and match answers (which may come in any order) by that number.
public struct PendingRequests: Sendable {
    private var nextSeq = 0
    private var waiting: [Int: AsyncThrowingStream<MessagePackValue, any Error>.Continuation] = [:]

    public init() {}

    /// A new request's number and where its answer will arrive.
    public mutating func open() -> (seq: Int, answer: AsyncThrowingStream<MessagePackValue, any Error>) {
        let seq = nextSeq
        nextSeq += 1
        let (answer, continuation) = AsyncThrowingStream<MessagePackValue, any Error>.makeStream()
        waiting[seq] = continuation
        return (seq, answer)
    }

    /// Delivers `response` to its request, an exception as `remoteError` of its text; false when no request of
    /// that number is waiting.
    public mutating func resolve(_ response: WireResponse, remoteError: (String) -> any Error) -> Bool {
        guard let continuation = waiting.removeValue(forKey: response.seq) else { return false }
        if response.isException {
            continuation.finish(throwing: remoteError(response.result.stringValue ?? "\(response.result)"))
        } else {
            continuation.yield(response.result)
            continuation.finish()
        }
        return true
    }

    /// Fails request `seq` (it could not be sent).
    public mutating func fail(_ seq: Int, with error: any Error) {
        waiting.removeValue(forKey: seq)?.finish(throwing: error)
    }

    /// Fails every waiting request (the connection is gone).
    public mutating func failAll(with error: any Error) {
        let all = waiting.values
        waiting = [:]
        for continuation in all { continuation.finish(throwing: error) }
    }
}
