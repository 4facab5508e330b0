import Foundation

/// The encodings a mail needs to pass any SMTP server and reach any reader intact: RFC 2047 encoded words for a
/// header that is not plain ASCII, quoted-printable for the body (so no 8BITMIME is needed and no line is too
/// long), and RFC 5322's date.
enum MailEncoding {
    /// The longest encoded line: RFC 2045's 76 characters, the soft line break's `=` included.
    static let maxEncodedLine = 76

    /// `Name: value`. A value of printable ASCII that fits a line is written as it is; any other is written as
    /// UTF-8 encoded words, a line each. Line breaks and other control characters become spaces first, so a
    /// value can never start a header of its own.
    static func header(_ name: String, _ value: String) -> String {
        let value = String(value.map { $0.isNewline || $0.unicodeScalars.contains(where: isControl) ? " " : $0 })
        let isPlain = value.unicodeScalars.allSatisfy { $0.isASCII } && !value.contains("=?")
        if isPlain && name.count + 2 + value.utf8.count <= 78 {
            return "\(name): \(value)"
        }
        // 45 bytes are 60 characters of base64: each word stays within RFC 2047's 75.
        var words: [String] = []
        var chunk = ""
        for character in value {
            if chunk.utf8.count + character.utf8.count > 45, !chunk.isEmpty {
                words.append(encodedWord(chunk))
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return "\(name): " + words.joined(separator: "\r\n ")
    }

    /// `text` in quoted-printable, its line breaks as CRLF: bytes other than printable ASCII, `=`, and a space
    /// or tab that ends a line are written `=XX`; a line longer than ``maxEncodedLine`` is broken with `=`.
    static func quotedPrintable(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        return lines.map(quotedPrintableLine).joined(separator: "\r\n")
    }

    /// RFC 5322's date in UTC: `Thu, 01 Jan 2026 12:00:00 +0000`.
    static func date(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let weekday = weekdays[(parts.weekday ?? 1) - 1]
        let month = months[(parts.month ?? 1) - 1]
        return "\(weekday), \(two(parts.day)) \(month) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }

    private static func quotedPrintableLine(_ line: Substring) -> String {
        let bytes = Array(line.utf8)
        var lines: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let endsLine = index == bytes.count - 1
            let token: String =
                switch byte {
                case 0x21...0x3C, 0x3E...0x7E: String(Character(Unicode.Scalar(byte)))
                case 0x20, 0x09: endsLine ? hex(byte) : String(Character(Unicode.Scalar(byte)))
                default: hex(byte)
                }
            // Room is kept for the `=` of a soft line break.
            if current.utf8.count + token.utf8.count > maxEncodedLine - 1 {
                lines.append(current + "=")
                current = ""
            }
            current += token
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    private static func encodedWord(_ text: String) -> String {
        "=?UTF-8?B?" + Data(text.utf8).base64EncodedString() + "?="
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    private static func two(_ number: Int?) -> String {
        let number = number ?? 0
        return number < 10 ? "0\(number)" : "\(number)"
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()
}
