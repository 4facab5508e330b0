/// An address or a block of addresses, IPv4 or IPv6, as an operator writes them: `127.0.0.1`, `10.0.0.0/8`,
/// `::1`, `fd00::/8`.
///
/// An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, what a dual-stack socket reports for an IPv4 peer) counts as
/// the IPv4 address it maps, on either side.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The text as written.
    public let description: String
    /// The network's 4 or 16 bytes, the bits past `prefixLength` cleared.
    private let network: [UInt8]
    private let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX-LENGTH`; `nil` when it is neither. Bits past the prefix are ignored.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard var address = Self.bytes(of: String(parts[0])) else { return nil }
        var length = address.count * 8
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ ("0"..."9").contains($0) }),
                let value = Int(parts[1]), value <= length
            else { return nil }
            length = value
        }
        if address.count == 16, Self.isIPv4Mapped(address), length >= 96 {
            address = Array(address[12...])
            length -= 96
        }
        description = text
        network = Self.masked(address, to: length)
        prefixLength = length
    }

    /// Whether `address`, a textual IPv4 or IPv6 address, lies in the range; `false` when it is not an address.
    public func contains(_ address: String) -> Bool {
        guard var bytes = Self.bytes(of: address) else { return false }
        if bytes.count == 16, network.count == 4, Self.isIPv4Mapped(bytes) {
            bytes = Array(bytes[12...])
        } else if bytes.count == 4, network.count == 16 {
            bytes = Self.mappedPrefix + bytes
        }
        return bytes.count == network.count && Self.masked(bytes, to: prefixLength) == network
    }

    /// Whether `host`, an address or a host name, is this machine alone: `localhost`, `127.0.0.0/8` or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        host.lowercased() == "localhost" || loopback.contains { $0.contains(host) }
    }

    private static let loopback = ["127.0.0.0/8", "::1"].compactMap(AddressRange.init(parsing:))

    /// `::ffff:0:0/96`'s first 12 bytes.
    private static let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]

    private static func isIPv4Mapped(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: mappedPrefix)
    }

    private static func masked(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(max(length - index * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(0xFF >> UInt8(kept))
        }
    }

    /// The bytes of an address: 4 for IPv4, 16 for IPv6 (brackets and a zone such as `%eth0` ignored).
    static func bytes(of text: String) -> [UInt8]? {
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        return text.contains(":") ? ipv6(text) : ipv4(text)
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ ("0"..."9").contains($0) }),
                let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func ipv6(_ text: Substring) -> [UInt8]? {
        var groups = text.split(separator: ":", omittingEmptySubsequences: false)
        // A leading or trailing `::` splits into two empty groups, a `::` inside into one: keep one for each.
        if text.hasPrefix("::") {
            groups.removeFirst()
        } else if text.hasPrefix(":") {
            return nil
        }
        if text.hasSuffix("::") {
            groups.removeLast()
        } else if text.hasSuffix(":") {
            return nil
        }
        var words: [UInt16?] = []  // nil where `::` stands for zeros
        for (index, group) in groups.enumerated() {
            if group.isEmpty {
                guard !words.contains(nil) else { return nil }
                words.append(nil)
            } else if group.contains(".") {
                guard index == groups.count - 1, let bytes = ipv4(group) else { return nil }
                words.append(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
                words.append(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
            } else {
                guard group.count <= 4, group.allSatisfy(\.isHexDigit), let word = UInt16(group, radix: 16) else {
                    return nil
                }
                words.append(word)
            }
        }
        let given = words.compactMap { $0 }
        let expanded: [UInt16]
        if let gap = words.firstIndex(of: nil) {
            guard given.count < 8 else { return nil }
            let before = words[..<gap].compactMap { $0 }
            let after = words[(gap + 1)...].compactMap { $0 }
            expanded = before + Array(repeating: 0, count: 8 - given.count) + after
        } else {
            guard given.count == 8 else { return nil }
            expanded = given
        }
        return expanded.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
