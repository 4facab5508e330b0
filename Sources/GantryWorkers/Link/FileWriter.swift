public import Foundation
public import GantryWire

#if canImport(Glibc)
    import Glibc
#endif

/// Receives an uploaded file (`upload_file`): the bytes go to a temporary file beside the destination, up to
/// `maxsize`, which replaces the destination only when the worker closed the upload and the command succeeded;
/// an upload that ends otherwise leaves nothing behind.
public actor FileWriter: FileTransfer {
    public let destination: URL
    /// The permissions the delivered file gets, if set.
    let mode: Int?
    /// Bytes at most; the write going over is refused, as the worker is not trusted to stop there.
    public let maxsize: Int?
    /// Why the upload was refused or not delivered, if it was; settled once ``finish(succeeded:)`` returns. The
    /// worker may report success all the same, so the step fails on it. It goes to the step's log, so it never
    /// holds a system error's text.
    public private(set) var problem: String?
    /// The master-side error behind ``problem``, when there was one, for the master's log only: it may name
    /// paths and system details.
    public private(set) var problemCause: String?
    private let temporary: URL
    private var handle: FileHandle?
    private var written = 0
    private var refusal: TransferRefused?
    private var closed = false
    private var finished = false

    public init(destination: URL, mode: Int? = nil, maxsize: Int? = nil) throws {
        self.destination = destination
        self.mode = mode
        self.maxsize = maxsize
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
            if let refusal { throw refusal }
            guard case .binary(let bytes)? = request["args"], let handle else {
                throw WorkerLinkError.protocolViolation("upload write without bytes")
            }
            if let maxsize, bytes.count > maxsize - written {
                throw refuse("the file is larger than maxsize (\(maxsize) bytes)")
            }
            do {
                try handle.write(contentsOf: bytes)
            } catch {
                throw refuse("cannot store the upload", worker: "the master cannot store the upload", cause: error)
            }
            written += bytes.count
        case "update_upload_file_close":
            // A worker whose write was refused still closes; the upload stays refused.
            guard refusal == nil else { return .nil }
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
        guard !finished else { return }
        finished = true
        // Still open only when the worker never closed the upload, which is then not delivered.
        try? handle?.close()
        handle = nil
        if succeeded, problem == nil, !closed { problem = "the worker did not close the upload" }
        do {
            guard closed && succeeded && problem == nil else { throw CocoaError(.userCancelled) }
            if let mode {
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary.path)
            }
            // rename(2) replaces the destination atomically: readers see the old file or the whole new one.
            guard rename(temporary.path, destination.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            if succeeded, problem == nil {
                problem = "cannot deliver '\(destination.path)'"
                problemCause = String(reflecting: error)
            }
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    /// Records why the upload is refused (and the `cause` behind it) and drops what arrived; the error, `worker`
    /// or `why`, answers the worker now and any later write.
    private func refuse(_ why: String, worker: String? = nil, cause: (any Error)? = nil) -> TransferRefused {
        problem = why
        problemCause = cause.map { String(reflecting: $0) }
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(at: temporary)
        let refusal = TransferRefused(worker ?? why)
        self.refusal = refusal
        return refusal
    }

    private static func seconds(_ value: MessagePackValue) -> Double? {
        switch value {
        case .double(let seconds): seconds
        case .float(let seconds): Double(seconds)
        default: value.intValue.map(Double.init)
        }
    }
}
