public import Foundation
public import GantryWire

#if canImport(Glibc)
    import Glibc
#endif

/// Receives an uploaded file (`upload_file`): the bytes go to a temporary file beside the destination, which
/// replaces the destination only when the worker closed the upload and the command succeeded; an upload that
/// ends otherwise leaves nothing behind.
public actor FileWriter: FileTransfer {
    public let destination: URL
    /// The permissions the delivered file gets, if set.
    let mode: Int?
    private let temporary: URL
    private var handle: FileHandle?
    private var closed = false

    public init(destination: URL, mode: Int? = nil) throws {
        self.destination = destination
        self.mode = mode
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(
            ".\(destination.lastPathComponent).\(UUID().uuidString).part")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        self.temporary = temporary
        self.handle = try FileHandle(forWritingTo: temporary)
    }

    public func handle(_ request: WireRequest) async throws -> MessagePackValue {
        switch request.op {
        case "update_upload_file_write":
            guard case .binary(let bytes)? = request["args"], let handle else {
                throw WorkerLinkError.protocolViolation("upload write without bytes")
            }
            try handle.write(contentsOf: bytes)
        case "update_upload_file_close":
            try handle?.close()
            handle = nil
            closed = true
        case "update_upload_file_utime":
            guard closed, let modified = request["modified_time"].flatMap(Self.seconds) else {
                throw WorkerLinkError.protocolViolation("utime before close or without times")
            }
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: modified)], ofItemAtPath: temporary.path)
        default:
            throw WorkerLinkError.protocolViolation("'\(request.op)' is not part of a file upload")
        }
        return .nil
    }

    public func finish(succeeded: Bool) async {
        try? handle?.close()
        handle = nil
        do {
            guard closed && succeeded else { throw CocoaError(.userCancelled) }
            if let mode {
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary.path)
            }
            // rename(2) replaces the destination atomically: readers see the old file or the whole new one.
            guard rename(temporary.path, destination.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    private static func seconds(_ value: MessagePackValue) -> Double? {
        switch value {
        case .double(let seconds): seconds
        case .float(let seconds): Double(seconds)
        default: value.intValue.map(Double.init)
        }
    }
}
