public import Foundation
public import GantryWire

/// Receives an uploaded directory (`upload_directory`): the tar stream goes to a temporary file, is extracted
/// (safely) into a temporary directory beside the destination on `update_upload_directory_unpack`, and that
/// directory replaces the destination only when the command succeeded; otherwise nothing is left behind.
public actor DirectoryReceiver: FileTransfer {
    public let destination: URL
    /// Why extraction failed, if it did.
    public private(set) var problem: String?
    private let archive: URL
    private let staging: URL
    private var handle: FileHandle?
    private var unpacked = false

    public init(destination: URL) throws {
        self.destination = destination
        let parent = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let stem = ".\(destination.lastPathComponent).\(UUID().uuidString)"
        archive = parent.appendingPathComponent(stem + ".tar")
        staging = parent.appendingPathComponent(stem + ".part")
        guard FileManager.default.createFile(atPath: archive.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        handle = try FileHandle(forWritingTo: archive)
    }

    public func handle(_ request: WireRequest) async throws -> MessagePackValue {
        switch request.op {
        case "update_upload_directory_write":
            guard case .binary(let bytes)? = request["args"], let handle else {
                throw WorkerLinkError.protocolViolation("directory upload write without bytes")
            }
            try handle.write(contentsOf: bytes)
        case "update_upload_directory_unpack":
            try handle?.close()
            handle = nil
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
            do {
                try TarExtractor.extract(archive, into: staging)
            } catch {
                problem = "\(error)"
                throw error
            }
            unpacked = true
        default:
            throw WorkerLinkError.protocolViolation("'\(request.op)' is not part of a directory upload")
        }
        return .nil
    }

    public func finish(succeeded: Bool) async {
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(at: archive)
        if succeeded && unpacked {
            try? FileManager.default.removeItem(at: destination)
            do {
                try FileManager.default.moveItem(at: staging, to: destination)
                return
            } catch {
                problem = "cannot deliver '\(destination.path)': \(error.localizedDescription)"
            }
        }
        try? FileManager.default.removeItem(at: staging)
    }
}
