import Foundation

/// Extracts the tar stream a worker sends for `upload_directory` (Python's PAX format) into a directory,
/// refusing what Python's `data` filter refuses: absolute names, `..`, links and device nodes. Modes keep only
/// the permission bits without group or other write.
struct TarExtractor {
    enum Failure: Error, CustomStringConvertible {
        case truncated
        case malformed(String)
        case unsafe(String)

        var description: String {
            switch self {
            case .truncated: "the tar stream ended early"
            case .malformed(let what): "malformed tar stream: \(what)"
            case .unsafe(let what): "refused to extract \(what)"
            }
        }
    }

    private static let block = 512

    /// Extracts the archive at `archive` into the existing directory `target`.
    static func extract(_ archive: URL, into target: URL) throws {
        let input = try FileHandle(forReadingFrom: archive)
        defer { try? input.close() }
        var pending: [String: String] = [:]  // PAX or GNU long-name overrides for the next member
        while true {
            let header = try read(input, Self.block)
            if header.allSatisfy({ $0 == 0 }) { return }
            guard checksumMatches(header) else { throw Failure.malformed("bad header checksum") }
            let type = header[156]
            let size = try pending["size"].flatMap(Int.init) ?? octal(header[124..<136])
            let data = try read(input, size)
            _ = try read(input, (Self.block - size % Self.block) % Self.block)
            switch type {
            case UInt8(ascii: "x"):
                pending.merge(try paxRecords(data)) { _, new in new }
                continue
            case UInt8(ascii: "g"):
                continue
            case UInt8(ascii: "L"):
                pending["path"] = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                continue
            default: break
            }
            let name = pending["path"] ?? ustarName(header)
            pending = [:]
            guard let relative = try safePath(name) else { continue }  // the root entry
            let destination = target.appendingPathComponent(relative)
            let mode = (try octal(header[100..<108])) & 0o755
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                try FileManager.default.createDirectory(
                    at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: destination.path, contents: Data(data)) else {
                    throw Failure.malformed("cannot write '\(relative)'")
                }
                try FileManager.default.setAttributes([.posixPermissions: mode | 0o600], ofItemAtPath: destination.path)
            case UInt8(ascii: "5"):
                try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
            default:
                throw Failure.unsafe("'\(relative)': links and special files are not extracted")
            }
        }
    }

    /// The member's path relative to the target, or nil for the root entry; unsafe names throw.
    /// Directories carry a trailing `/`, so the root entry (named `""`) arrives as `/`.
    static func safePath(_ name: String) throws -> String? {
        guard name.contains(where: { $0 != "/" }) else { return nil }
        guard !name.hasPrefix("/") else { throw Failure.unsafe("'\(name)': an absolute name") }
        let parts = name.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else { throw Failure.unsafe("'\(name)': a name leaving the directory") }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    private static func read(_ input: FileHandle, _ count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        let bytes = [UInt8](try input.read(upToCount: count) ?? Data())
        guard bytes.count == count else { throw Failure.truncated }
        return bytes
    }

    private static func ustarName(_ header: [UInt8]) -> String {
        let name = text(header[0..<100])
        let prefix = header[257..<262].elementsEqual("ustar".utf8) ? text(header[345..<500]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private static func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ field: ArraySlice<UInt8>) throws -> Int {
        let digits = text(field).trimmingCharacters(in: .whitespaces)
        guard digits.isEmpty || digits.allSatisfy({ ("0"..."7").contains($0) }), digits.count < 20 else {
            throw Failure.malformed("numeric field '\(digits)'")
        }
        return Int(digits, radix: 8) ?? 0
    }

    private static func checksumMatches(_ header: [UInt8]) -> Bool {
        let stored = try? octal(header[148..<156])
        let sum = header.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 32 : Int($1.element)) }
        return stored == sum
    }

    /// PAX records: `LENGTH key=value\n`, one after another.
    private static func paxRecords(_ data: [UInt8]) throws -> [String: String] {
        var records: [String: String] = [:]
        var rest = data[...]
        while !rest.isEmpty {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: rest[..<space], as: UTF8.self)),
                length > rest.distance(from: rest.startIndex, to: space) + 1, length <= rest.count
            else { throw Failure.malformed("a PAX record") }
            let record = rest[rest.index(after: space)..<(rest.startIndex + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { throw Failure.malformed("a PAX record") }
            records[String(decoding: record[..<equals], as: UTF8.self)] = String(
                decoding: record[record.index(after: equals)...], as: UTF8.self)
            rest = rest[(rest.startIndex + length)...]
        }
        return records
    }
}
