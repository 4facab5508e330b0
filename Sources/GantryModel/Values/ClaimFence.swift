/// The kinds of clustered service, each claimed through its own table.
public enum ServiceKind: String, Sendable, Hashable, Codable {
    case scheduler
    case changeSource = "changesource"
    case pool
    case reporter
    /// The retention janitor: one master at a time deletes what the retention settings no longer keep.
    case janitor
}

/// Proof that a master holds a service's claim: the fencing token every write on the service's behalf carries.
///
/// Each new claim of a service gets a higher epoch, so a token from an older claim, held by a master that was
/// expired and replaced, no longer matches and its writes are refused.
public struct ClaimFence: Sendable, Hashable, CustomStringConvertible {
    public var kind: ServiceKind
    public var serviceID: Int
    public var masterID: Int
    public var epoch: Int

    public init(kind: ServiceKind, serviceID: Int, masterID: Int, epoch: Int) {
        self.kind = kind
        self.serviceID = serviceID
        self.masterID = masterID
        self.epoch = epoch
    }

    public var description: String { "\(kind.rawValue) \(serviceID) on master \(masterID), epoch \(epoch)" }
}
