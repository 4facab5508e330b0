/// One MessagePack value, as the worker protocol uses them: text is `string`, raw bytes are `binary`, and a
/// map keeps its entries in wire order so a decoded message re-encodes byte for byte.
public enum MessagePackValue: Sendable, Hashable {
    case `nil`
    case bool(Bool)
    /// Every integer that fits in `Int64`, whichever family it arrived in.
    case int(Int64)
    /// Integers above `Int64.max` only.
    case uint(UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePackValue])
    case map([MapEntry])

    public struct MapEntry: Sendable, Hashable {
        public var key: MessagePackValue
        public var value: MessagePackValue

        public init(_ key: MessagePackValue, _ value: MessagePackValue) {
            self.key = key
            self.value = value
        }
    }
}

extension MessagePackValue {
    /// The value of the first entry whose key is the string `key`, in a map; `nil` otherwise.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == .string(key) }?.value
    }

    public var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }

    /// The value as an `Int`, when it is an integer that fits.
    public var intValue: Int? {
        switch self {
        case .int(let value): Int(exactly: value)
        case .uint(let value): Int(exactly: value)
        default: nil
        }
    }

    /// The value as a `Double`, when it is any number.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): value
        case .float(let value): Double(value)
        default: intValue.map(Double.init)
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    public var arrayValue: [MessagePackValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }
}

extension MessagePackValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .nil }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: MessagePackValue...) { self = .array(elements) }
    /// A map whose entries keep the order written.
    public init(dictionaryLiteral elements: (String, MessagePackValue)...) {
        self = .map(elements.map { MapEntry(.string($0.0), $0.1) })
    }
}
