import Synchronization

/// A pool worker whose provisioner runs in the background, so a slow start (a VM booting, an image pulled) holds
/// up neither the pool's other starts nor its looks (timeouts, pruning). Its instance is recorded in the database
/// before the provisioner is asked, so nothing can run that no row knows of.
final class StartingWorker: Sendable {
    private let outcome = Mutex<Result<any ProvisionedWorker, any Error>?>(nil)
    private let work = Mutex<Task<Void, Never>?>(nil)
    private let recorded = Mutex<Int?>(nil)

    private init() {}

    /// Runs `record`, then `start` with the row `record` made, in the background.
    static func begin(
        record: @escaping @Sendable () async throws -> Int,
        start: @escaping @Sendable (Int) async throws -> any ProvisionedWorker
    ) -> StartingWorker {
        let worker = StartingWorker()
        let task = Task {
            let result: Result<any ProvisionedWorker, any Error>
            do {
                let row = try await record()
                worker.recorded.withLock { $0 = row }
                result = .success(try await start(row))
            } catch {
                result = .failure(error)
            }
            worker.outcome.withLock { $0 = result }
        }
        worker.work.withLock { $0 = task }
        return worker
    }

    /// The instance's row in the database, once recorded.
    var row: Int? { recorded.withLock { $0 } }

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
