import GantryWorkers

/// Stops a running build: the command in flight is interrupted on its worker, and no later step starts.
public actor BuildControl {
    /// Why the build was stopped, once it was.
    public private(set) var stopReason: String?
    private var current: (link: WorkerLink, commandID: String)?
    private var stopWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0

    public init() {}

    /// Stops the build; the step running ends CANCELLED, and so does the build.
    public func stop(reason: String) async {
        guard stopReason == nil else { return }
        stopReason = reason
        let waiters = stopWaiters.values
        stopWaiters = [:]
        for waiter in waiters { waiter.resume() }
        if let current { try? await current.link.interrupt(commandID: current.commandID, why: reason) }
    }

    /// Returns once the build is stopped, or once the waiting task is cancelled (for a step that waits on
    /// something other than a worker, such as the builds it triggered).
    func waitUntilStopped() async {
        let waiter = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if stopReason != nil || Task.isCancelled {
                    continuation.resume()
                } else {
                    stopWaiters[waiter] = continuation
                }
            }
        } onCancel: {
            Task { await self.release(waiter) }
        }
    }

    private func release(_ waiter: Int) {
        stopWaiters.removeValue(forKey: waiter)?.resume()
    }

    /// The runner's command in flight; one started after a stop is interrupted at once.
    func running(_ commandID: String, on link: WorkerLink) async {
        current = (link, commandID)
        if let stopReason { try? await link.interrupt(commandID: commandID, why: stopReason) }
    }

    func finished() {
        current = nil
    }
}
