import NIOCore

/// Turns an SMTP server's bytes into whole replies: lines up to a line feed (a carriage return before it
/// dropped), joined while they say more follow (`250-`).
///
/// A reply may be at most ``maxReplyBytes`` long, so a server that never ends a line cannot make a master
/// buffer without limit.
struct SMTPReplyDecoder {
    /// The longest reply read: far more than any server's EHLO list.
    static let maxReplyBytes = 64 << 10

    /// The lines of the reply read so far, and its code.
    private var lines: [String] = []
    private var code: Int?
    /// The bytes of those lines.
    private var size = 0

    /// Whether lines of a reply that says more follow have been taken and the reply is not whole yet.
    var isWithinReply: Bool { !lines.isEmpty }

    /// Reads the next whole reply from `buffer`, taking its bytes; nil while it is not whole yet.
    /// - Throws: ``SMTPFailure/malformedReply`` for a line that is not a reply line, a line whose code differs
    ///   from the reply's first, or a reply longer than ``maxReplyBytes``.
    mutating func next(from buffer: inout ByteBuffer) throws -> SMTPReply? {
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = buffer.readableBytesView.distance(from: buffer.readableBytesView.startIndex, to: newline) + 1
            size += length
            guard size <= Self.maxReplyBytes, var bytes = buffer.readBytes(length: length) else {
                throw SMTPFailure.malformedReply
            }
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            let line = String(decoding: bytes, as: UTF8.self)
            guard let parsed = SMTPReply.parse(line: line[...]), code == nil || code == parsed.code else {
                throw SMTPFailure.malformedReply
            }
            code = parsed.code
            lines.append(parsed.text)
            if !parsed.continues {
                let reply = SMTPReply(code: parsed.code, lines: lines)
                lines = []
                code = nil
                size = 0
                return reply
            }
        }
        guard size + buffer.readableBytes <= Self.maxReplyBytes else { throw SMTPFailure.malformedReply }
        return nil
    }
}
