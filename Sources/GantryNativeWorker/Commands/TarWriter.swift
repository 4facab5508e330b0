import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Writes a directory as a POSIX tar (ustar, with PAX records for names over 100 bytes), as a buildbot-worker
/// sends one for `upload_directory`: names relative to the directory, directories with a trailing `/`.
/// Only directories and regular files are written; other entries (links, devices) are left out.
enum TarWriter {
    static func write(directory: URL, to output: FileDescriptor) throws {
        let root = directory.standardizedFileURL.path
        // A missing directory must fail, as it does for buildbot-worker.
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw FileSystemFailure(code: ENOENT, path: root)
        }
        guard isDirectory else { throw FileSystemFailure(code: ENOTDIR, path: root) }
        for name in try FileManager.default.subpathsOfDirectory(atPath: root).sorted() {
            let path = root + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? Int) ?? 0o644
            let modified = Int((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                try output.writeAll(header(name + "/", mode: mode, size: 0, modified: modified, type: "5"))
            case .typeRegular?:
                let input = try FileDescriptor.reading(path)
                defer { try? input.close() }
                let size = Int(try input.seek(offset: 0, from: .end))
                try input.seek(offset: 0, from: .start)
                try output.writeAll(header(name, mode: mode, size: size, modified: modified, type: "0"))
                try copy(input, size: size, to: output)
                try output.writeAll(padding(size))
            default:
                continue
            }
        }
        try output.writeAll(Data(count: 1024))
    }

    /// How much of a file is read at a time: a file of any size is copied in constant memory.
    static let blockSize = 1 << 20

    /// Copies exactly `size` bytes of `input` (the size its header announced), block by block: a file that
    /// shrank meanwhile is padded with zeros, one that grew is cut, so the archive stays readable.
    private static func copy(_ input: FileDescriptor, size: Int, to output: FileDescriptor) throws {
        var remaining = size
        while remaining > 0 {
            let block = try input.read(upTo: min(blockSize, remaining))
            guard !block.isEmpty else { break }
            try output.writeAll(block)
            remaining -= block.count
        }
        while remaining > 0 {
            let zeros = min(blockSize, remaining)
            try output.writeAll(Data(count: zeros))
            remaining -= zeros
        }
    }

    /// The largest size the header's 11 octal digits hold (8 GiB less a byte).
    private static let largestHeaderSize = 0o77777777777

    /// The header block(s) of one member: PAX records first for a name or a size that does not fit.
    private static func header(_ name: String, mode: Int, size: Int, modified: Int, type: Character) -> Data {
        var records = ""
        if name.utf8.count > 100 { records += paxRecord("path", name) }
        if size > largestHeaderSize { records += paxRecord("size", "\(size)") }
        let shortName = name.utf8.count > 100 ? String(name.utf8.suffix(100)) ?? "" : name
        let member = block(
            shortName, mode: mode, size: min(size, largestHeaderSize), modified: modified, type: type)
        guard !records.isEmpty else { return member }
        let pax = Data(records.utf8)
        return block("PaxHeader", mode: 0o644, size: pax.count, modified: modified, type: "x") + pax
            + padding(pax.count) + member
    }

    /// `LENGTH key=value\n`, LENGTH counting its own digits.
    private static func paxRecord(_ key: String, _ value: String) -> String {
        let record = " \(key)=\(value)\n"
        var length = record.utf8.count
        while "\(length)".utf8.count + record.utf8.count != length {
            length = "\(length)".utf8.count + record.utf8.count
        }
        return "\(length)" + record
    }

    private static func block(_ name: String, mode: Int, size: Int, modified: Int, type: Character) -> Data {
        var bytes = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, length: Int) {
            for (index, byte) in text.utf8.prefix(length).enumerated() { bytes[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, length: Int) {
            put(
                String(String(value, radix: 8).suffix(length - 1)).leftPadded(to: length - 1), at: offset,
                length: length - 1)
        }
        put(name, at: 0, length: 100)
        octal(mode, at: 100, length: 8)
        octal(0, at: 108, length: 8)
        octal(0, at: 116, length: 8)
        octal(size, at: 124, length: 12)
        octal(modified, at: 136, length: 12)
        put("        ", at: 148, length: 8)
        put(String(type), at: 156, length: 1)
        put("ustar", at: 257, length: 6)
        put("00", at: 263, length: 2)
        let checksum = bytes.reduce(0) { $0 + Int($1) }
        put(String(String(checksum, radix: 8)).leftPadded(to: 6) + "\0 ", at: 148, length: 8)
        return Data(bytes)
    }

    private static func padding(_ size: Int) -> Data {
        Data(count: (512 - size % 512) % 512)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
