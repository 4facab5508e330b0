/// Why bytes are not one acceptable MessagePack value. Decoding stops at the first problem.
public enum MessagePackError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input ended inside a value.
    case truncated
    /// A format byte MessagePack does not define (`0xc1`).
    case invalidFormat(UInt8)
    /// Extension types are never part of the protocol.
    case unsupportedExtension(Int8)
    /// A `str` that is not valid UTF-8.
    case invalidUTF8
    /// Arrays and maps nested deeper than the decoder allows.
    case tooDeep(limit: Int)
    /// More array elements, map keys and values in all than the decoder allows.
    case tooManyElements(limit: Int)
    /// Bytes left over after the one value.
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .truncated: "truncated MessagePack value"
        case .invalidFormat(let byte): "invalid MessagePack format byte 0x\(String(byte, radix: 16))"
        case .unsupportedExtension(let type): "unsupported MessagePack extension type \(type)"
        case .invalidUTF8: "MessagePack str is not valid UTF-8"
        case .tooDeep(let limit): "MessagePack value nested deeper than \(limit) levels"
        case .tooManyElements(let limit): "MessagePack value with more than \(limit) elements"
        case .trailingBytes(let count): "\(count) bytes after the MessagePack value"
        }
    }
}
