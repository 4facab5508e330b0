import Synchronization

/// A pool worker whose provisioner runs in the background, so a slow start (a VM booting, an image pulled) holds
/// up neither the pool's other starts nor its looks (timeouts, pruning).
final class StartingWorker: Sendable {
    private let outcome = Mutex<Result<any ProvisionedWorker, any Error>?>(nil)
    private let work = Mutex<Task<Void, Never>?>(nil)

    private init() {}

    /// Runs `start` in the background.
    static func begin(_ start: @escaping @Sendable () async throws -> any ProvisionedWorker) -> StartingWorker {
        let worker = StartingWorker()
        let task = Task {
            let result: Result<any ProvisionedWorker, any Error>
            do {
                result = .success(try await start())
            } catch {
                result = .failure(error)
            }
            worker.outcome.withLock { $0 = result }
        }
        worker.work.withLock { $0 = task }
        return worker
    }

    /// Why the start failed, once it did.
    var failure: (any Error)? {
        outcome.withLock { outcome in
            if case .failure(let error)? = outcome { error } else { nil }
        }
    }

    /// Whether what was started has ended by itself (never while it is starting).
    var hasExited: Bool {
        get async {
            guard case .success(let started)? = outcome.withLock({ $0 }) else { return false }
            return await started.hasExited
        }
    }

    /// Cancels a start still in progress (a provisioner that hangs must not hold up a stop), waits for it to end,
    /// then stops what it started.
    func stop() async {
        let task = work.withLock { $0 }
        if outcome.withLock({ $0 }) == nil { task?.cancel() }
        await task?.value
        if case .success(let started)? = outcome.withLock({ $0 }) { await started.stop() }
    }
}
