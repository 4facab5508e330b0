/// One message of the worker protocol: a request from either side, or the answer to one.
///
/// Every message is a MessagePack map with `op` and `seq_number`. Requests put `seq_number` after their
/// fields and responses right after `op`, as Buildbot's peers do, so a message re-encodes byte for byte.
public enum WireMessage: Sendable, Hashable {
    case request(WireRequest)
    case response(WireResponse)

    /// Reads a message; anything else is refused with the reason.
    public init(decoding bytes: [UInt8], decoder: MessagePackDecoder = MessagePackDecoder()) throws(WireError) {
        let value: MessagePackValue
        do {
            value = try decoder.decode(bytes)
        } catch {
            throw .malformed(error.description)
        }
        guard case .map(let entries) = value else { throw .notAnEnvelope("the message is not a map") }
        guard let op = value["op"]?.stringValue else { throw .notAnEnvelope("the message has no 'op'") }
        guard let seq = value["seq_number"]?.intValue else {
            throw .notAnEnvelope("the message has no integer 'seq_number'")
        }
        if op == "response" {
            self = .response(
                WireResponse(
                    seq: seq, result: value["result"] ?? .nil, isException: value["is_exception"] != nil))
        } else {
            let fields = entries.filter { $0.key != "op" && $0.key != "seq_number" }
            self = .request(WireRequest(op: op, seq: seq, fields: fields))
        }
    }

    public func encoded() -> [UInt8] {
        switch self {
        case .request(let request):
            MessagePackValue.map(
                [.init("op", .string(request.op))] + request.fields + [.init("seq_number", .int(Int64(request.seq)))]
            )
            .encoded()
        case .response(let response):
            MessagePackValue.map(
                [
                    .init("op", "response"), .init("seq_number", .int(Int64(response.seq))),
                    .init("result", response.result),
                ]
                    + (response.isException ? [.init("is_exception", true)] : [])
            ).encoded()
        }
    }
}

/// A request: an operation, its sequence number on the sender's counter, and its fields in order.
public struct WireRequest: Sendable, Hashable {
    public var op: String
    public var seq: Int
    public var fields: [MessagePackValue.MapEntry]

    public init(op: String, seq: Int, fields: [MessagePackValue.MapEntry] = []) {
        self.op = op
        self.seq = seq
        self.fields = fields
    }

    /// The field named `key`.
    public subscript(key: String) -> MessagePackValue? {
        fields.first { $0.key == .string(key) }?.value
    }
}

/// The answer to the request numbered `seq`; when `isException`, `result` is the error text.
public struct WireResponse: Sendable, Hashable {
    public var seq: Int
    public var result: MessagePackValue
    public var isException: Bool

    public init(seq: Int, result: MessagePackValue = .nil, isException: Bool = false) {
        self.seq = seq
        self.result = result
        self.isException = isException
    }
}

/// Why a binary message is not a protocol message. Either way the peer cannot be answered.
public enum WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not one MessagePack value.
    case malformed(String)
    /// A value, but not a map with `op` and `seq_number`.
    case notAnEnvelope(String)

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed message: \(reason)"
        case .notAnEnvelope(let reason): "not a protocol message: \(reason)"
        }
    }
}
