public import GantryModel

/// One step of a reconfiguration of a running master's clustered services, matched by name.
public enum ServiceChange: Sendable {
    /// A service new to the configuration: started, so it polls for its claim.
    case start(any ClusteredServiceBehavior)
    /// A service gone from the configuration: stopped, so it deactivates and releases its claim.
    case stop(kind: ServiceKind, name: String)
    /// A service whose configuration changed: the old one stops completely (its work is finished, never cut
    /// off mid-step) before the new one starts and claims it again at once.
    case restart(any ClusteredServiceBehavior)
}
