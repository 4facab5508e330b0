import GantryModel
import GantryStorage
import Logging

/// Callers on this master waiting for triggered buildsets to complete.
///
/// Completion is read from the database whenever `buildsets/complete` is posted (or the slow poll ticks), so a
/// buildset completed by any master, before or after the wait began, is seen. The notification is watched
/// only while someone waits. Stopping fails every waiter, and every later wait, with a clear error.
actor TriggerWaiters {
    private let context: SchedulerContext
    private var waiting: [Int: [Int: CheckedContinuation<Buildset, any Error>]] = [:]
    private var nextWaiter = 0
    private var kick: WakeUpSignal?
    private var watcher: Task<Void, Never>?
    private var stoppedError: GantryError?

    init(context: SchedulerContext) {
        self.context = context
    }

    /// Whether completions are being watched (someone waits).
    var isWatching: Bool { watcher != nil }

    /// The buildset `bsid` once it is complete.
    func completed(_ bsid: Int) async throws -> Buildset {
        let waiter = nextWaiter
        nextWaiter += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let stoppedError {
                    continuation.resume(throwing: stoppedError)
                } else if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting[bsid, default: [:]][waiter] = continuation
                    watch()
                }
            }
        } onCancel: {
            Task { await self.cancel(waiter, of: bsid) }
        }
    }

    /// Throws the error the waiters were stopped with, if they were.
    func requireRunning() throws {
        if let stoppedError { throw stoppedError }
    }

    /// Fails every waiter with `error`, now and from now on.
    func stop(_ error: GantryError) {
        stoppedError = error
        let all = waiting.values.flatMap(\.values)
        waiting = [:]
        for continuation in all { continuation.resume(throwing: error) }
        stopWatching()
    }

    private func cancel(_ waiter: Int, of bsid: Int) {
        guard let continuation = waiting[bsid]?.removeValue(forKey: waiter) else { return }
        if waiting[bsid]?.isEmpty == true { waiting[bsid] = nil }
        continuation.resume(throwing: CancellationError())
        if waiting.isEmpty { stopWatching() }
    }

    /// Starts watching, or asks the running watcher to look again (for the waiter just added).
    private func watch() {
        if let kick {
            kick.signal()
            return
        }
        let kick = WakeUpSignal()
        let wakeups = context.database.notifier.wakeups(
            for: [.buildsetsComplete], poll: context.poll, clock: context.clock)
        self.kick = kick
        kick.signal()
        watcher = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in wakeups { kick.signal() }
                }
                while await kick.wait() { await self.check() }
                group.cancelAll()
            }
        }
    }

    private func stopWatching() {
        kick = nil
        watcher?.cancel()
        watcher = nil
    }

    /// Answers the waiters of every buildset that is complete (or gone); a read that fails is retried at the
    /// next wake-up.
    private func check() async {
        for bsid in waiting.keys.sorted() {
            let buildset: Buildset?
            do {
                buildset = try await context.database.buildsets.getBuildset(bsid)
            } catch {
                context.logger.warning(
                    "cannot read a triggered buildset; will retry",
                    metadata: [LogKey.buildset: "\(bsid)", LogKey.error: "\(error)"])
                continue
            }
            guard buildset?.complete != false, let waiters = waiting.removeValue(forKey: bsid) else { continue }
            for continuation in waiters.values {
                if let buildset {
                    continuation.resume(returning: buildset)
                } else {
                    continuation.resume(throwing: GantryError(.notFound, "triggered buildset \(bsid) no longer exists"))
                }
            }
        }
        if waiting.isEmpty { stopWatching() }
    }
}
