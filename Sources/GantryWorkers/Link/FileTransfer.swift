public import GantryWire

/// The master's end of a command's file transfer: Buildbot's writer (uploads) or reader (downloads), which
/// the worker drives with `update_upload_file_*` and `update_read_file*` requests about the command.
public protocol FileTransfer: Sendable {
    /// Answers one transfer request; a thrown error is answered as an exception, which makes the worker abort.
    func handle(_ request: WireRequest) async throws -> MessagePackValue
    /// The command ended, `succeeded` or not: an upload is delivered only when it succeeded (a worker that
    /// cannot read its file still closes the upload), and what was not delivered is discarded.
    func finish(succeeded: Bool) async
}
