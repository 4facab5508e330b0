extension JSONValue {
    /// Compact JSON text with the keys in the order of their UTF-8 bytes, so equal values always serialize alike.
    ///
    /// The text `JSONEncoder` writes with `.sortedKeys` and `.withoutEscapingSlashes`, written by hand: every
    /// property and event stored is serialized, and the encoder costs many times as much. A number JSON cannot
    /// hold (NaN, an infinity) is written `null`.
    public var jsonText: String {
        var text = ""
        write(to: &text)
        return text
    }

    private func write(to text: inout String) {
        switch self {
        case .null:
            text += "null"
        case .bool(let value):
            text += value ? "true" : "false"
        case .number(let value):
            Self.write(value, to: &text)
        case .string(let value):
            Self.write(value, to: &text)
        case .array(let values):
            text += "["
            for (index, value) in values.enumerated() {
                if index > 0 { text += "," }
                value.write(to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { text += "," }
                Self.write(member.key, to: &text)
                text += ":"
                member.value.write(to: &text)
            }
            text += "}"
        }
    }

    /// Swift's shortest form that reads back the same (`1e+20`, `1.5e-07`), without a trailing `.0`.
    private static func write(_ number: Double, to text: inout String) {
        guard number.isFinite else {
            text += "null"
            return
        }
        var shown = number.description
        if shown.hasSuffix(".0") { shown.removeLast(2) }
        text += shown
    }

    /// Quoted, with `"`, `\` and the control characters escaped; everything else as it is.
    private static func write(_ string: String, to text: inout String) {
        text += "\""
        guard string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        else {
            text += string
            text += "\""
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20:
                text += scalar.value < 0x10 ? "\\u000" : "\\u00"
                text += String(scalar.value, radix: 16)
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
