/// What a caller asks to do, as authorization rules name it (`actions: [force, stop]`).
public enum AccessAction: String, Sendable, Hashable, CaseIterable {
    /// Read anything: builds, logs, workers, the event stream.
    case view
    /// Start builds through a force scheduler.
    case force
    /// Stop a running build.
    case stop
    /// Run a finished build again.
    case rebuild
    /// Cancel a build request that has not started.
    case cancel
    /// Enable or disable a scheduler.
    case enableScheduler
    /// Pause or unpause a worker.
    case pauseWorker
    /// Ask a worker to shut down once its builds finish.
    case gracefulWorker
    /// Disconnect a worker at once.
    case killWorker
    /// Change a pool: its size, its idle workers.
    case pools
    /// Reload the master's configuration.
    case reconfig

    /// Every action but `view`: what `actions: "*"` names, as Buildbot's `AnyControlEndpointMatcher` does, so a
    /// last catch-all rule for admins leaves reading to `anonymous` and to rules that name `view`.
    public static let control: Set<AccessAction> = Set(allCases).subtracting([.view])
}
