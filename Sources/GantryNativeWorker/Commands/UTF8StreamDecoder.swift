/// Decodes a byte stream that arrives in chunks: a character cut at a chunk's end is kept for the next
/// chunk instead of becoming U+FFFD; bytes that are not UTF-8 still become U+FFFD, as buildbot-worker's do.
struct UTF8StreamDecoder: Sendable {
    /// The start of a character the last chunk ended inside.
    private var carried: [UInt8] = []

    /// The text of `chunk`, less a trailing incomplete character.
    mutating func decode(_ chunk: UnsafeRawBufferPointer) -> String {
        guard carried.isEmpty else {
            var bytes = carried
            bytes.append(contentsOf: chunk)
            return decodeKeepingTail(bytes)
        }
        return decodeKeepingTail(chunk)
    }

    /// What is left at the end of the stream (an incomplete character, as U+FFFD).
    mutating func finish() -> String {
        defer { carried = [] }
        return String(decoding: carried, as: UTF8.self)
    }

    private mutating func decodeKeepingTail<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> String {
        let kept = Self.incompleteTail(of: bytes)
        let end = bytes.index(bytes.endIndex, offsetBy: -kept)
        carried = Array(bytes[end...])
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// How many bytes at the end of `bytes` begin a character that needs more bytes than follow it.
    static func incompleteTail<Bytes: BidirectionalCollection<UInt8>>(of bytes: Bytes) -> Int {
        var index = bytes.endIndex
        var length = 0
        while index != bytes.startIndex, length < 4 {
            bytes.formIndex(before: &index)
            length += 1
            let byte = bytes[index]
            if byte & 0xC0 == 0x80 { continue }
            let needed =
                switch byte {
                case 0xC2...0xDF: 2
                case 0xE0...0xEF: 3
                case 0xF0...0xF4: 4
                default: 1
                }
            return needed > length ? length : 0
        }
        return 0
    }
}
