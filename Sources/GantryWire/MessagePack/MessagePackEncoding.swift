extension MessagePackValue {
    /// The value in MessagePack's shortest form (msgpack-python's `packb(use_bin_type=True)`): the smallest
    /// integer format of the value's sign family, `float64` for a `double`, and the smallest length format
    /// for str, bin, array and map. Map entries keep their order.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return bytes
    }

    /// Appends the encoded value to `bytes`.
    public func append(to bytes: inout [UInt8]) {
        switch self {
        case .nil:
            bytes.append(0xc0)
        case .bool(let value):
            bytes.append(value ? 0xc3 : 0xc2)
        case .int(let value) where value >= 0:
            Self.appendUnsigned(UInt64(value), to: &bytes)
        case .int(let value):
            Self.appendNegative(value, to: &bytes)
        case .uint(let value):
            Self.appendUnsigned(value, to: &bytes)
        case .float(let value):
            bytes.append(0xca)
            Self.appendBigEndian(UInt64(value.bitPattern), count: 4, to: &bytes)
        case .double(let value):
            bytes.append(0xcb)
            Self.appendBigEndian(value.bitPattern, count: 8, to: &bytes)
        case .string(let text):
            let utf8 = Array(text.utf8)
            Self.appendHeader(utf8.count, fixBase: 0xa0, fixLimit: 32, formats: (0xd9, 0xda, 0xdb), to: &bytes)
            bytes.append(contentsOf: utf8)
        case .binary(let data):
            Self.appendHeader(data.count, fixBase: nil, fixLimit: 0, formats: (0xc4, 0xc5, 0xc6), to: &bytes)
            bytes.append(contentsOf: data)
        case .array(let elements):
            Self.appendHeader(elements.count, fixBase: 0x90, fixLimit: 16, formats: (nil, 0xdc, 0xdd), to: &bytes)
            for element in elements { element.append(to: &bytes) }
        case .map(let entries):
            Self.appendHeader(entries.count, fixBase: 0x80, fixLimit: 16, formats: (nil, 0xde, 0xdf), to: &bytes)
            for entry in entries {
                entry.key.append(to: &bytes)
                entry.value.append(to: &bytes)
            }
        }
    }

    private static func appendUnsigned(_ value: UInt64, to bytes: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            bytes.append(UInt8(value))
        case 0x80...0xff:
            bytes.append(0xcc)
            bytes.append(UInt8(value))
        case 0x100...0xffff:
            bytes.append(0xcd)
            appendBigEndian(value, count: 2, to: &bytes)
        case 0x1_0000...0xffff_ffff:
            bytes.append(0xce)
            appendBigEndian(value, count: 4, to: &bytes)
        default:
            bytes.append(0xcf)
            appendBigEndian(value, count: 8, to: &bytes)
        }
    }

    private static func appendNegative(_ value: Int64, to bytes: inout [UInt8]) {
        let pattern = UInt64(bitPattern: value)
        switch value {
        case -32..<0:
            bytes.append(UInt8(truncatingIfNeeded: pattern))
        case Int64(Int8.min)..<(-32):
            bytes.append(0xd0)
            appendBigEndian(pattern, count: 1, to: &bytes)
        case Int64(Int16.min)..<Int64(Int8.min):
            bytes.append(0xd1)
            appendBigEndian(pattern, count: 2, to: &bytes)
        case Int64(Int32.min)..<Int64(Int16.min):
            bytes.append(0xd2)
            appendBigEndian(pattern, count: 4, to: &bytes)
        default:
            bytes.append(0xd3)
            appendBigEndian(pattern, count: 8, to: &bytes)
        }
    }

    /// The format byte (and length) of a str, bin, array or map of `count` elements.
    private static func appendHeader(
        _ count: Int,
        fixBase: UInt8?,
        fixLimit: Int,
        formats: (UInt8?, UInt8, UInt8),
        to bytes: inout [UInt8]
    ) {
        if let fixBase, count < fixLimit {
            bytes.append(fixBase | UInt8(count))
        } else if let format8 = formats.0, count <= 0xff {
            bytes.append(format8)
            bytes.append(UInt8(count))
        } else if count <= 0xffff {
            bytes.append(formats.1)
            appendBigEndian(UInt64(count), count: 2, to: &bytes)
        } else {
            bytes.append(formats.2)
            appendBigEndian(UInt64(count), count: 4, to: &bytes)
        }
    }

    private static func appendBigEndian(_ value: UInt64, count: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: (count - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
