import GantryModel
import GantryWorkers

/// Stops a running build: the command in flight is interrupted on its worker, and no later step starts.
public actor BuildControl {
    /// Why the build was stopped, once it was.
    public private(set) var stopReason: String?
    private var current: (link: WorkerLink, commandID: String)?
    /// Open once the build is stopped.
    private let stopped = Latch()

    public init() {}

    /// Stops the build; the step running ends CANCELLED, and so does the build.
    public func stop(reason: String) async {
        guard stopReason == nil else { return }
        stopReason = reason
        stopped.open()
        // An interrupt that cannot be sent means the connection is gone, which ends the build anyway.
        if let current { try? await current.link.interrupt(commandID: current.commandID, why: reason) }
    }

    /// Returns once the build is stopped, or once the waiting task is cancelled (for a step that waits on
    /// something other than a worker, such as the builds it triggered).
    nonisolated func waitUntilStopped() async {
        await stopped.waitUnlessCancelled()
    }

    /// The runner's command in flight; one started after a stop is interrupted at once.
    func running(_ commandID: String, on link: WorkerLink) async {
        current = (link, commandID)
        // As in `stop(reason:)`: a failed interrupt means the connection, and so the build, is gone.
        if let stopReason { try? await link.interrupt(commandID: commandID, why: stopReason) }
    }

    func finished() {
        current = nil
    }
}
