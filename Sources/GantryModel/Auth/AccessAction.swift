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
    /// Send changes through the `base` change hook, which has no secret of its own: a change can start builds.
    case change
    /// Read the audit log: who did what, from which address, which is more than `view` shows.
    case audit

    /// Every action but `view`: what `actions: "*"` names, as Buildbot's `AnyControlEndpointMatcher` does, so a
    /// last catch-all rule for admins leaves reading to `anonymous` and to rules that name `view`. `change` and
    /// `audit` are among them, so by default only admins send changes or read who did what.
    public static let control: Set<AccessAction> = Set(allCases).subtracting([.view])

    /// The glob lists a rule can match this action with: those naming something its requests' targets carry.
    /// A rule restricting another list never matches the action, so a later rule would silently decide it; the
    /// configuration refuses such a rule.
    public var matchableGlobs: Set<AccessRule.Globs> {
        switch self {
        case .force: [.builders, .schedulers]
        case .stop, .rebuild, .cancel: [.builders]
        case .enableScheduler: [.schedulers]
        case .pauseWorker, .gracefulWorker, .killWorker: [.workers]
        // Decided on no particular target.
        case .view, .pools, .reconfig, .change, .audit: []
        }
    }
}
