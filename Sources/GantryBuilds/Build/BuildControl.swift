import GantryWorkers

/// Stops a running build: the command in flight is interrupted on its worker, and no later step starts.
public actor BuildControl {
    /// Why the build was stopped, once it was.
    public private(set) var stopReason: String?
    private var current: (link: WorkerLink, commandID: String)?

    public init() {}

    /// Stops the build; the step running ends CANCELLED, and so does the build.
    public func stop(reason: String) async {
        guard stopReason == nil else { return }
        stopReason = reason
        if let current { try? await current.link.interrupt(commandID: current.commandID, why: reason) }
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
