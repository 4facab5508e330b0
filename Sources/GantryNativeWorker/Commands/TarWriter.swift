import Foundation

/// Writes a directory as a POSIX tar (ustar, with PAX records for names over 100 bytes), as a buildbot-worker
/// sends one for `upload_directory`: names relative to the directory, directories with a trailing `/`.
/// Only directories and regular files are written; other entries (links, devices) are left out.
enum TarWriter {
    static func write(directory: URL, to output: FileHandle) throws {
        let root = directory.standardizedFileURL.path
        // The enumerator of a missing directory is merely empty: that must fail, as it does for buildbot-worker.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue,
            let walker = FileManager.default.enumerator(atPath: root)
        else { throw CocoaError(.fileReadNoSuchFile) }
        var names: [String] = []
        while let name = walker.nextObject() as? String { names.append(name) }
        for name in names.sorted() {
            let path = root + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? Int) ?? 0o644
            let modified = Int((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                try output.write(contentsOf: header(name + "/", mode: mode, size: 0, modified: modified, type: "5"))
            case .typeRegular?:
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                try output.write(contentsOf: header(name, mode: mode, size: data.count, modified: modified, type: "0"))
                try output.write(contentsOf: data + padding(data.count))
            default:
                continue
            }
        }
        try output.write(contentsOf: Data(count: 1024))
    }

    /// The header block(s) of one member: a PAX `path` record first when the name does not fit.
    private static func header(_ name: String, mode: Int, size: Int, modified: Int, type: Character) -> Data {
        guard name.utf8.count > 100 else { return block(name, mode: mode, size: size, modified: modified, type: type) }
        var record = " path=\(name)\n"
        var length = record.utf8.count
        while "\(length)".utf8.count + record.utf8.count != length {
            length = "\(length)".utf8.count + record.utf8.count
        }
        record = "\(length)" + record
        let pax = Data(record.utf8)
        return block("PaxHeader", mode: 0o644, size: pax.count, modified: modified, type: "x") + pax
            + padding(pax.count)
            + block(String(name.utf8.suffix(100)) ?? "", mode: mode, size: size, modified: modified, type: type)
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
