package import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Extracts the tar stream a worker sends for `upload_directory` (Python's PAX format) into a directory,
/// refusing what Python's `data` filter refuses: absolute names, `..`, links and device nodes. Modes keep only
/// the permission bits without group or other write.
///
/// Members are copied in chunks, so memory stays small whatever their sizes; only PAX records and GNU long
/// names are held whole, and those are refused beyond ``metadataLimit``.
package enum TarExtractor {
    /// Why an archive was not (wholly) extracted.
    package enum Failure: Error, CustomStringConvertible {
        case truncated
        case malformed(String)
        case unsafe(String)
        /// The file system refused a member (a name clashing with a file, a name too long, a full disk).
        case unwritable(String)
        /// Told to stop before the end.
        case stopped

        package var description: String {
            switch self {
            case .truncated: "the tar stream ended early"
            case .malformed(let what): "malformed tar stream: \(what)"
            case .unsafe(let what): "refused to extract \(what)"
            case .unwritable(let what): "cannot extract \(what)"
            case .stopped: "extraction stopped before the end"
            }
        }
    }

    /// What an extraction did.
    package struct Summary: Sendable, Equatable {
        /// Files and directories written.
        package var members = 0
        /// The most archive bytes held in memory at once.
        package var peakBuffered = 0
    }

    static let block = 512
    /// Bytes copied per read.
    static let chunk = 65_536
    /// PAX and GNU long-name data before one member; real names take a few kilobytes.
    static let metadataLimit = 65_536

    /// Extracts the archive at `archive` into the existing directory `target`.
    /// - Parameter shouldStop: Asked before every read; true ends extraction with ``Failure/stopped``.
    @discardableResult
    package static func extract(
        _ archive: URL, into target: URL, shouldStop: @escaping () -> Bool = { false }
    ) throws -> Summary {
        let input: FileHandle
        do {
            input = try FileHandle(forReadingFrom: archive)
        } catch {
            throw Failure.unwritable("the received archive: it cannot be read")
        }
        defer { try? input.close() }
        var reader = Reader(input: input, shouldStop: shouldStop)
        var members = 0
        var pending: [String: String] = [:]  // PAX or GNU long-name overrides for the next member
        var pendingBytes = 0
        while true {
            let header = try reader.read(Self.block)
            if header.allSatisfy({ $0 == 0 }) { break }
            guard checksumMatches(header) else { throw Failure.malformed("bad header checksum") }
            let type = header[156]
            let headerSize = try octal(header[124..<136])
            if [UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L")].contains(type) {
                guard headerSize <= Self.metadataLimit - pendingBytes else {
                    throw Failure.malformed("more than \(Self.metadataLimit) bytes of PAX or long-name data")
                }
                pendingBytes += headerSize
                let data = try reader.read(headerSize)
                try reader.skip(padding(headerSize))
                if type == UInt8(ascii: "x") {
                    pending.merge(try paxRecords(data)) { _, new in new }
                } else if type == UInt8(ascii: "L") {
                    pending["path"] = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                }
                continue
            }
            let size = try pending["size"].map(decimal) ?? headerSize
            let name = pending["path"] ?? ustarName(header)
            pending = [:]
            pendingBytes = 0
            guard let relative = try safePath(name) else {  // the root entry
                try reader.skip(size)
                try reader.skip(padding(size))
                continue
            }
            let destination = target.appendingPathComponent(relative)
            let mode = (try octal(header[100..<108])) & 0o755
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                try write(relative, at: destination, size: size, mode: mode, from: &reader)
            case UInt8(ascii: "5"):
                do {
                    try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
                } catch {
                    throw Failure.unwritable("directory '\(relative)'")
                }
                try reader.skip(size)
            default:
                throw Failure.unsafe("'\(relative)': links and special files are not extracted")
            }
            try reader.skip(padding(size))
            members += 1
        }
        return Summary(members: members, peakBuffered: reader.peak)
    }

    /// The member's path relative to the target, or nil for the root entry; unsafe names throw.
    /// Directories carry a trailing `/`, so the root entry (named `""`) arrives as `/`.
    static func safePath(_ name: String) throws -> String? {
        guard name.contains(where: { $0 != "/" }) else { return nil }
        guard !name.hasPrefix("/") else { throw Failure.unsafe("'\(name)': an absolute name") }
        // The file system reads a name only up to a NUL, which would make `..\0x` mean `..`.
        guard !name.utf8.contains(0) else { throw Failure.unsafe("a name containing NUL") }
        let parts = name.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else { throw Failure.unsafe("'\(name)': a name leaving the directory") }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// Copies a regular member's data into a new file (never through a link) with `mode`.
    private static func write(
        _ relative: String, at destination: URL, size: Int, mode: Int, from reader: inout Reader
    ) throws {
        do {
            try FileManager.default.createDirectory(
                at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw Failure.unwritable("'\(relative)': its directory cannot be created")
        }
        let descriptor = open(destination.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure.unwritable("'\(relative)'") }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        defer { try? output.close() }
        try reader.copy(size, to: output, name: relative)
        guard fchmod(descriptor, mode_t(mode | 0o600)) == 0 else { throw Failure.unwritable("'\(relative)'") }
    }

    private static func padding(_ size: Int) -> Int {
        (Self.block - size % Self.block) % Self.block
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

    /// A PAX `size`: decimal digits only, so a sign or an overflow is refused rather than misread.
    private static func decimal(_ value: String) throws -> Int {
        guard !value.isEmpty, value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let number = Int(value)
        else { throw Failure.malformed("PAX size '\(value.prefix(40))'") }
        return number
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

    /// Reads the archive a chunk at a time, remembering the most it held at once.
    private struct Reader {
        let input: FileHandle
        let shouldStop: () -> Bool
        var peak = 0

        /// Exactly `count` bytes: a header, or metadata within ``TarExtractor/metadataLimit``.
        mutating func read(_ count: Int) throws -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            while bytes.count < count {
                bytes += try next(count - bytes.count)
            }
            peak = max(peak, count)
            return bytes
        }

        /// Passes `count` bytes on to `output`, one chunk at a time.
        mutating func copy(_ count: Int, to output: FileHandle, name: String) throws {
            var left = count
            while left > 0 {
                let piece = try next(left)
                do {
                    try output.write(contentsOf: piece)
                } catch {
                    throw Failure.unwritable("'\(name)'")
                }
                left -= piece.count
            }
        }

        /// Reads past `count` bytes.
        mutating func skip(_ count: Int) throws {
            var left = count
            while left > 0 { left -= try next(left).count }
        }

        private mutating func next(_ wanted: Int) throws -> Data {
            if shouldStop() { throw Failure.stopped }
            let count = min(wanted, TarExtractor.chunk)
            let data: Data?
            do {
                data = try input.read(upToCount: count)
            } catch {
                throw Failure.unwritable("the received archive: it cannot be read")
            }
            guard let data, !data.isEmpty else { throw Failure.truncated }
            peak = max(peak, data.count)
            return data
        }
    }
}
