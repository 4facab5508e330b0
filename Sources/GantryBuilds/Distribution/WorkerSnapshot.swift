/// One worker as this master's distributor knows it at one moment: what the pools and the API read instead of
/// keeping worker state of their own.
public struct WorkerSnapshot: Sendable, Hashable {
    public var name: String
    /// The worker's id, once it attached here.
    public var id: Int?
    /// Attached here now.
    public var connected: Bool
    /// Paused, as the last read of the database showed it while connected here.
    public var paused: Bool
    /// Shutting down once idle, as the last read of the database showed it while connected here.
    public var graceful: Bool
    public var quarantined: Bool
    /// The requests whose builds run on it here.
    public var busyRequestIDs: Set<Int>
    /// Builds it may run at once.
    public var maxBuilds: Int
    /// Its instance ran its `maxUses` builds and takes no more, however often it reconnects.
    public var usedUp: Bool

    public init(
        name: String, id: Int? = nil, connected: Bool = false, paused: Bool = false, graceful: Bool = false,
        quarantined: Bool = false, busyRequestIDs: Set<Int> = [], maxBuilds: Int = 1, usedUp: Bool = false
    ) {
        self.name = name
        self.id = id
        self.connected = connected
        self.paused = paused
        self.graceful = graceful
        self.quarantined = quarantined
        self.busyRequestIDs = busyRequestIDs
        self.maxBuilds = maxBuilds
        self.usedUp = usedUp
    }

    /// Running a build here.
    public var isBusy: Bool { !busyRequestIDs.isEmpty }
}
