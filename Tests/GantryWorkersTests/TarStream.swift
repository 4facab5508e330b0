/// Tar streams built field by field, so tests can make them valid, huge or broken at will.
enum TarStream {
    static let block = 512
    /// The two zero blocks that end an archive.
    static let end = [UInt8](repeating: 0, count: 1024)

    /// A ustar header with a correct checksum.
    static func header(
        _ name: String, size: Int, type: UInt8 = UInt8(ascii: "0"), mode: Int = 0o644
    ) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: block)
        put(name, in: &header, at: 0, width: 100)
        put(octal(mode, digits: 7), in: &header, at: 100, width: 8)
        put(octal(0, digits: 7), in: &header, at: 108, width: 8)
        put(octal(0, digits: 7), in: &header, at: 116, width: 8)
        put(octal(size, digits: 11), in: &header, at: 124, width: 12)
        put(octal(0, digits: 11), in: &header, at: 136, width: 12)
        header[156] = type
        put("ustar", in: &header, at: 257, width: 6)
        put("00", in: &header, at: 263, width: 2)
        seal(&header)
        return header
    }

    /// Writes the checksum of a header whose other fields are final.
    static func seal(_ header: inout [UInt8]) {
        guard header.count == block else { return }
        for index in 148..<156 { header[index] = 32 }
        let sum = header.reduce(0) { $0 + Int($1) }
        put(octal(sum, digits: 6) + "\0 ", in: &header, at: 148, width: 8)
    }

    /// A regular file member, padded to whole blocks.
    static func file(_ name: String, _ content: [UInt8]) -> [UInt8] {
        header(name, size: content.count) + padded(content)
    }

    static func directory(_ name: String) -> [UInt8] {
        header(name.hasSuffix("/") ? name : name + "/", size: 0, type: UInt8(ascii: "5"), mode: 0o755)
    }

    /// A PAX extended header whose records apply to the next member.
    static func pax(_ records: [(String, String)]) -> [UInt8] {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n".utf8.count
            var length = body
            while String(length).utf8.count + body != length { length = String(length).utf8.count + body }
            data += Array("\(length) \(key)=\(value)\n".utf8)
        }
        return paxData(data)
    }

    /// A PAX extended header carrying `data` as it is, well-formed or not.
    static func paxData(_ data: [UInt8]) -> [UInt8] {
        header("././@PaxHeader", size: data.count, type: UInt8(ascii: "x")) + padded(data)
    }

    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (block - data.count % block) % block)
    }

    static func octal(_ value: Int, digits: Int) -> String {
        let text = String(value, radix: 8)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    private static func put(_ text: String, in header: inout [UInt8], at offset: Int, width: Int) {
        for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
    }
}
