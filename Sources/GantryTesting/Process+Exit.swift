public import Foundation

extension Process {
    /// Runs the process to its end without blocking a thread of the cooperative pool, and returns its status.
    public func runUntilExit() async throws -> Int32 {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try run()
            } catch {
                terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }

    /// Starts the process and returns a stream that yields its exit status once it ends. It is killed when the
    /// test process exits, if it still runs then.
    public func start() throws -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        terminationHandler = { process in
            ChildProcesses.ended(process.processIdentifier)
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try run()
        ChildProcesses.started(processIdentifier)
        return stream
    }
}
