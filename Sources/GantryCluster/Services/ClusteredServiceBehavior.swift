public import GantryModel

/// What a clustered service (a scheduler, a change source, a pool manager) does; ``ClusteredService`` decides
/// when, by holding the service's claim.
public protocol ClusteredServiceBehavior: Sendable {
    /// Which claim table the service is claimed through.
    var kind: ServiceKind { get }
    /// The service's configured name, unique among services of its kind.
    var name: String { get }

    /// Called once the claim is won. An error is logged and the service stays active, as in Buildbot.
    func activate(fence: ClaimFence) async throws

    /// The service's work while it holds the claim. Cancelled when the service deactivates, and awaited before
    /// ``deactivate()`` runs, so no work is in flight once deactivation starts.
    func runWhileActive(fence: ClaimFence) async

    /// Called before the claim is released. An error is logged; the service ends inactive.
    func deactivate() async throws

    /// Whether ``deactivate()`` may take long (a pool stops its workers: a VM's stop command), so the master's
    /// heartbeat and reloads never wait for it.
    var deactivatesSlowly: Bool { get }

    /// Called once the service has stopped on this master (reconfiguration removed it, or the master is
    /// stopping), whether or not it was active here: what still waits on this master's copy must be told.
    func stopped() async
}

extension ClusteredServiceBehavior {
    public func activate(fence: ClaimFence) async throws {}
    public func runWhileActive(fence: ClaimFence) async {}
    public func deactivate() async throws {}
    public var deactivatesSlowly: Bool { false }
    public func stopped() async {}
}
