/// What the cluster layer announces: a master starting or stopping (`masters/started`, `masters/stopped`).
public enum ClusterEvent: Sendable, Hashable {
    case masterStarted(id: Int, name: String)
    case masterStopped(id: Int, name: String)

    /// The event's topic, as Buildbot names it.
    public var topic: String {
        switch self {
        case .masterStarted: "masters/started"
        case .masterStopped: "masters/stopped"
        }
    }
}
