public import Foundation
public import GantryWire

/// Serves a downloaded file (`download_file`): each `update_read_file` is answered with the next bytes, an
/// empty `bin` at the end (Buildbot 4.3 answers `nil`, so its workers receive empty files).
public actor FileReader: FileTransfer {
    private var handle: FileHandle?

    public init(source: URL) throws {
        handle = try FileHandle(forReadingFrom: source)
    }

    public func handle(_ request: WireRequest) async throws -> MessagePackValue {
        switch request.op {
        case "update_read_file":
            guard let length = request["length"]?.intValue, length >= 0, let handle else {
                throw WorkerLinkError.protocolViolation("read without a length, or after close")
            }
            return .binary(Array(try handle.read(upToCount: length) ?? Data()))
        case "update_read_file_close":
            try handle?.close()
            handle = nil
            return .nil
        default:
            throw WorkerLinkError.protocolViolation("'\(request.op)' is not part of a file download")
        }
    }

    public func finish(succeeded: Bool) async {
        try? handle?.close()
        handle = nil
    }
}
