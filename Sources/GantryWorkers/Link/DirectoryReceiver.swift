public import Foundation
public import GantryWire
import Synchronization

/// Receives an uploaded directory (`upload_directory`). The tar stream is appended to a temporary file as it
/// arrives, up to `maxsize`. `update_upload_directory_unpack` is answered at once: the archive is extracted
/// (safely, in chunks, on a thread of its own) into a temporary directory beside the destination, so the
/// connection keeps answering the worker however long that takes. The directory replaces the destination only
/// when the command succeeded and so did extraction; otherwise nothing is left behind.
public actor DirectoryReceiver: FileTransfer {
    public let destination: URL
    /// Bytes of the tar stream at most; the write going over is refused.
    public let maxsize: Int?
    /// Why the upload was refused (over `maxsize`, malformed, unsafe, never unpacked), if it was; settled once
    /// ``finish(succeeded:)`` returns. The worker may never hear of it, so the step fails on it. It goes to the
    /// step's log, so it never holds a system error's text.
    public private(set) var problem: String?
    /// The master-side error behind ``problem``, when there was one, for the master's log only: it may name
    /// paths and system details.
    public private(set) var problemCause: String?
    /// The most archive bytes extraction held in memory at once.
    package private(set) var peakBuffered = 0
    private let archive: URL
    private let staging: URL
    private var handle: FileHandle?
    private var received = 0
    private var extraction: Task<Extraction, Never>?
    private let stop = StopFlag()
    private var refusal: TransferRefused?
    private var finished = false
    private var extractionHook: @Sendable () async -> Void = {}

    public init(destination: URL, maxsize: Int? = nil) throws {
        self.destination = destination
        self.maxsize = maxsize
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

    /// Awaits `hook` before extraction starts, so a test can hold extraction while the link goes on.
    package func beforeExtracting(_ hook: @escaping @Sendable () async -> Void) {
        extractionHook = hook
    }

    public func handle(_ request: WireRequest) async throws -> MessagePackValue {
        switch request.op {
        case "update_upload_directory_write":
            guard case .binary(let bytes)? = request["args"] else {
                throw WorkerLinkError.protocolViolation("directory upload write without bytes")
            }
            try write(bytes)
        case "update_upload_directory_unpack":
            try unpack()
        default:
            throw WorkerLinkError.protocolViolation("'\(request.op)' is not part of a directory upload")
        }
        return .nil
    }

    public func finish(succeeded: Bool) async {
        guard !finished else { return }
        finished = true
        // Still open only when the stream was never unpacked, so nothing is delivered.
        try? handle?.close()
        handle = nil
        if let extraction {
            if !succeeded { stop.set() }
            let outcome = await withTaskCancellationHandler {
                await extraction.value
            } onCancel: { [stop] in
                stop.set()
            }
            peakBuffered = outcome.peakBuffered
            if let failure = outcome.failure, problem == nil, succeeded || !failure.isStop {
                problem = "\(failure)"
                problemCause = outcome.cause
            }
        } else if succeeded, problem == nil {
            problem = "the worker did not ask for the tar stream to be unpacked"
        }
        let deliver = succeeded && extraction != nil && problem == nil
        let (archive, staging, destination) = (self.archive, self.staging, self.destination)
        // Removing the temporary files is best effort: they are hidden names beside the destination.
        let failure = await Self.onOwnThread { () -> String? in
            try? FileManager.default.removeItem(at: archive)
            if deliver {
                // An old destination that cannot be removed makes the move below fail, which is reported.
                try? FileManager.default.removeItem(at: destination)
                do {
                    try FileManager.default.moveItem(at: staging, to: destination)
                    return nil
                } catch {
                    try? FileManager.default.removeItem(at: staging)
                    return String(reflecting: error)
                }
            }
            try? FileManager.default.removeItem(at: staging)
            return nil
        }
        if let failure {
            problem = "cannot deliver '\(destination.path)'"
            problemCause = failure
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        if let refusal { throw refusal }
        guard let handle else { throw WorkerLinkError.protocolViolation("directory upload write after unpack") }
        if let maxsize, bytes.count > maxsize - received {
            throw refuse("the tar stream is larger than maxsize (\(maxsize) bytes)")
        }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw refuse("cannot store the tar stream", worker: "the master cannot store the upload", cause: error)
        }
        received += bytes.count
    }

    private func unpack() throws {
        if let refusal { throw refusal }
        guard let handle else { throw WorkerLinkError.protocolViolation("a second directory upload unpack") }
        self.handle = nil
        do {
            try handle.close()
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw refuse("cannot unpack the tar stream", worker: "the master cannot unpack the upload", cause: error)
        }
        let (archive, staging, stop, hook) = (self.archive, self.staging, self.stop, extractionHook)
        extraction = Task {
            await hook()
            return await Self.onOwnThread { Extraction(archive, into: staging, stop: stop) }
        }
    }

    /// Records why the upload is refused (and the `cause` behind it) and drops what arrived; the error, `worker`
    /// or `why`, answers the worker now and any later write or unpack.
    private func refuse(_ why: String, worker: String? = nil, cause: (any Error)? = nil) -> TransferRefused {
        problem = why
        problemCause = cause.map { String(reflecting: $0) }
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(at: archive)
        let refusal = TransferRefused(worker ?? why)
        self.refusal = refusal
        return refusal
    }

    /// Runs `work` on a thread of its own: extracting and delivering are long blocking file work, which must
    /// hold neither the connection's read loop nor a thread of a shared pool (SQLite's queries run on one).
    private static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}

/// How an extraction ended.
private struct Extraction: Sendable {
    var failure: TarExtractor.Failure?
    /// The error behind `failure` when it was not the extractor's own, for the master's log.
    var cause: String?
    var peakBuffered = 0

    init(_ archive: URL, into staging: URL, stop: StopFlag) {
        do {
            peakBuffered = try TarExtractor.extract(archive, into: staging, shouldStop: { stop.isSet }).peakBuffered
        } catch let failure as TarExtractor.Failure {
            self.failure = failure
        } catch {
            failure = .unwritable("the upload")
            cause = String(reflecting: error)
        }
    }
}

/// Tells an extraction running on its own thread that the upload failed.
private final class StopFlag: Sendable {
    private let flag = Atomic(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }

    func set() { flag.store(true, ordering: .relaxed) }
}

extension TarExtractor.Failure {
    fileprivate var isStop: Bool {
        if case .stopped = self { true } else { false }
    }
}
