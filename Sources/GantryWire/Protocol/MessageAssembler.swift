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
    /// The message being joined. Each continuation is appended in place, and the array's capacity grows
    /// geometrically, so a message in many frames costs time linear in its size.
    private var partial: [UInt8] = []
    private var joining = false

    public init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Adds one frame's payload; returns the whole message once its final frame arrived.
    /// - Parameter continuation: Whether the frame continues a message (opcode 0) rather than starting one.
    public mutating func add(
        _ data: some Collection<UInt8>,
        continuation: Bool,
        fin: Bool
    ) throws(Violation) -> [UInt8]? {
        if continuation {
            guard joining else { throw .continuationWithoutStart }
        } else {
            // A new message replaces an unfinished one.
            partial = []
        }
        joining = false
        guard data.count <= maxMessageSize - partial.count else {
            partial = []
            throw .tooLarge(limit: maxMessageSize)
        }
        if fin && !continuation { return Array(data) }
        partial.append(contentsOf: data)
        guard fin else {
            joining = true
            return nil
        }
        defer { partial = [] }
        return partial
    }

    /// Where the message being joined is stored; it moves only when its buffer grows.
    var storageAddress: Int { partial.withUnsafeBytes { Int(bitPattern: $0.baseAddress) } }
}
