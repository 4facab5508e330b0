/// Joins a binary WebSocket message sent as several frames (a first frame, then continuations, the last marked
/// final), for both ends of the worker protocol. A message larger than the limit, or a continuation with no
/// message begun, is a violation the connection cannot recover from.
public struct MessageAssembler: Sendable {
    public enum Violation: Error, CustomStringConvertible, Equatable {
        case continuationWithoutStart
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .continuationWithoutStart: "continuation without a start"
            case .tooLarge(let limit): "message larger than \(limit) bytes"
            }
        }
    }

    public let maxMessageSize: Int
    private var partial: [UInt8]?

    public init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Adds one frame's payload; returns the whole message once its final frame arrived.
    /// - Parameter continuation: Whether the frame continues a message (opcode 0) rather than starting one.
    public mutating func add(_ data: [UInt8], continuation: Bool, fin: Bool) throws(Violation) -> [UInt8]? {
        var message: [UInt8]
        if continuation {
            guard let begun = partial else { throw .continuationWithoutStart }
            message = begun + data
        } else {
            message = data
        }
        guard message.count <= maxMessageSize else { throw .tooLarge(limit: maxMessageSize) }
        partial = fin ? nil : message
        return fin ? message : nil
    }
}
