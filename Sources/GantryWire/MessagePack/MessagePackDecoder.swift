/// Decodes one MessagePack value from a whole message, refusing anything malformed with a
/// ``MessagePackError`` rather than trapping, and never allocating more than the input could fill: every
/// declared length is checked against the bytes that remain, and every array or map against the element
/// budget, before anything is reserved.
public struct MessagePackDecoder: Sendable {
    /// How deeply arrays and maps may nest.
    public var maxDepth: Int
    /// How many elements (array elements, map keys and values) one value may hold in all, at any depth.
    ///
    /// A decoded element takes 24 bytes or more however few bytes encode it (a `nil` takes one), so without
    /// this bound a message of nils would cost 24 times its size.
    public var maxElements: Int

    public init(maxDepth: Int = 64, maxElements: Int = 1 << 20) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
    }

    /// The one value `bytes` holds; trailing bytes are an error.
    public func decode(_ bytes: [UInt8]) throws(MessagePackError) -> MessagePackValue {
        var reader = Reader(bytes: bytes, maxDepth: maxDepth, maxElements: maxElements)
        let value = try reader.value(depth: 0)
        guard reader.remaining == 0 else { throw .trailingBytes(reader.remaining) }
        return value
    }
}

private struct Reader {
    let bytes: [UInt8]
    let maxDepth: Int
    let maxElements: Int
    var offset = 0
    /// Elements still allowed; an array or map claims all of its own before reserving room for them.
    var budget: Int

    init(bytes: [UInt8], maxDepth: Int, maxElements: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        budget = maxElements
    }

    var remaining: Int { bytes.count - offset }

    mutating func value(depth: Int) throws(MessagePackError) -> MessagePackValue {
        let format = try byte()
        switch format {
        case 0x00...0x7f: return .int(Int64(format))
        case 0x80...0x8f: return try map(Int(format & 0x0f), depth: depth)
        case 0x90...0x9f: return try array(Int(format & 0x0f), depth: depth)
        case 0xa0...0xbf: return try string(Int(format & 0x1f))
        case 0xc0: return .nil
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4: return .binary(try raw(Int(try unsigned(1))))
        case 0xc5: return .binary(try raw(Int(try unsigned(2))))
        case 0xc6: return .binary(try raw(Int(try unsigned(4))))
        case 0xc7: return try extensionValue(length: Int(try unsigned(1)))
        case 0xc8: return try extensionValue(length: Int(try unsigned(2)))
        case 0xc9: return try extensionValue(length: Int(try unsigned(4)))
        case 0xca: return .float(Float(bitPattern: UInt32(try unsigned(4))))
        case 0xcb: return .double(Double(bitPattern: try unsigned(8)))
        case 0xcc: return .int(Int64(try unsigned(1)))
        case 0xcd: return .int(Int64(try unsigned(2)))
        case 0xce: return .int(Int64(try unsigned(4)))
        case 0xcf:
            let value = try unsigned(8)
            return value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
        case 0xd0: return .int(Int64(Int8(truncatingIfNeeded: try unsigned(1))))
        case 0xd1: return .int(Int64(Int16(truncatingIfNeeded: try unsigned(2))))
        case 0xd2: return .int(Int64(Int32(truncatingIfNeeded: try unsigned(4))))
        case 0xd3: return .int(Int64(bitPattern: try unsigned(8)))
        case 0xd4: return try extensionValue(length: 1)
        case 0xd5: return try extensionValue(length: 2)
        case 0xd6: return try extensionValue(length: 4)
        case 0xd7: return try extensionValue(length: 8)
        case 0xd8: return try extensionValue(length: 16)
        case 0xd9: return try string(Int(try unsigned(1)))
        case 0xda: return try string(Int(try unsigned(2)))
        case 0xdb: return try string(Int(try unsigned(4)))
        case 0xdc: return try array(Int(try unsigned(2)), depth: depth)
        case 0xdd: return try array(Int(try unsigned(4)), depth: depth)
        case 0xde: return try map(Int(try unsigned(2)), depth: depth)
        case 0xdf: return try map(Int(try unsigned(4)), depth: depth)
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: format)))
        default: throw .invalidFormat(format)
        }
    }

    private mutating func byte() throws(MessagePackError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func unsigned(_ count: Int) throws(MessagePackError) -> UInt64 {
        guard remaining >= count else { throw .truncated }
        var value: UInt64 = 0
        for index in offset..<offset + count { value = value << 8 | UInt64(bytes[index]) }
        offset += count
        return value
    }

    private mutating func raw(_ count: Int) throws(MessagePackError) -> [UInt8] {
        guard remaining >= count else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    private mutating func string(_ count: Int) throws(MessagePackError) -> MessagePackValue {
        guard remaining >= count else { throw .truncated }
        defer { offset += count }
        guard let text = String(validating: bytes[offset..<offset + count], as: UTF8.self) else {
            throw .invalidUTF8
        }
        return .string(text)
    }

    private mutating func array(_ count: Int, depth: Int) throws(MessagePackError) -> MessagePackValue {
        guard depth < maxDepth else { throw .tooDeep(limit: maxDepth) }
        // Every element takes at least one byte.
        guard remaining >= count else { throw .truncated }
        try claim(count)
        var elements: [MessagePackValue] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try value(depth: depth + 1)) }
        return .array(elements)
    }

    private mutating func map(_ count: Int, depth: Int) throws(MessagePackError) -> MessagePackValue {
        guard depth < maxDepth else { throw .tooDeep(limit: maxDepth) }
        // Every entry takes at least two bytes.
        guard remaining / 2 >= count else { throw .truncated }
        try claim(count * 2)
        var entries: [MessagePackValue.MapEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try value(depth: depth + 1)
            entries.append(MessagePackValue.MapEntry(key, try value(depth: depth + 1)))
        }
        return .map(entries)
    }

    /// Takes `count` elements from the budget.
    private mutating func claim(_ count: Int) throws(MessagePackError) {
        guard count <= budget else { throw .tooManyElements(limit: maxElements) }
        budget -= count
    }

    private mutating func extensionValue(length: Int) throws(MessagePackError) -> MessagePackValue {
        let type = Int8(bitPattern: try byte())
        guard remaining >= length else { throw .truncated }
        throw .unsupportedExtension(type)
    }
}
