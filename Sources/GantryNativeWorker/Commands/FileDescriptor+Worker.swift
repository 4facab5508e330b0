import SystemPackage

extension FileDescriptor {
    /// Up to `count` bytes from the current offset; empty at the end of the file.
    func read(upTo count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try read(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The file at `path` opened for reading, nil when it cannot be.
    static func reading(_ path: String) -> FileDescriptor? {
        try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
    }

    /// The file at `path` created (as the umask allows) or emptied, and opened for writing; nil when it cannot be.
    static func writing(_ path: String) -> FileDescriptor? {
        try? FileDescriptor.open(
            FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec],
            permissions: [.ownerReadWrite, .groupReadWrite, .otherReadWrite])
    }
}
