import SystemPackage

extension FileDescriptor {
    /// Up to `count` bytes from the current offset; empty at the end of the file.
    func read(upTo count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try read(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The file at `path` opened for reading.
    static func reading(_ path: String) throws(FileSystemFailure) -> FileDescriptor {
        do {
            return try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw FileSystemFailure(code: ((error as? Errno) ?? .ioError).rawValue, path: path)
        }
    }

    /// The file at `path` created (as the umask allows) or emptied, and opened for writing.
    static func writing(_ path: String) throws(FileSystemFailure) -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupReadWrite, .otherReadWrite])
        } catch {
            throw FileSystemFailure(code: ((error as? Errno) ?? .ioError).rawValue, path: path)
        }
    }
}
