/// A pool worker attached to this master, as the master's build distributor sees it.
public struct PoolWorkerView: Sendable, Hashable {
    /// Its id in the database.
    public var id: Int
    /// Whether it runs a build of this master.
    public var busy: Bool
    /// It ran its pool's `maxUses` builds and takes no more.
    public var usedUp: Bool

    public init(id: Int, busy: Bool, usedUp: Bool = false) {
        self.id = id
        self.busy = busy
        self.usedUp = usedUp
    }
}

/// The workers connected to this master, as the pools need them: the master knows which are attached and which
/// build, so the pools never work that out from the database themselves.
public protocol PoolWorkers: Sendable {
    /// Those of `names` attached to this master, with whether each is busy; a name missing is not attached.
    func snapshot(of names: [String]) async -> [String: PoolWorkerView]
    /// Shuts worker `name` down and closes its connection (its build, if any, ends as its worker is lost);
    /// nothing when it is not connected.
    func shutDown(_ name: String, reason: String) async
    /// Gives worker `name` no new build, so it can finish the one it runs before the pool stops it.
    func makeGraceful(_ name: String) async throws
    /// A new instance of worker `name` is starting: the builds it takes count against the pool's `maxUses`
    /// afresh. Until then a worker that reconnects (its connection was cut) keeps the count of its instance.
    func instanceStarting(_ name: String) async
}
