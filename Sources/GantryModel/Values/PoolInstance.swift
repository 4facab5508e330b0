public import Foundation

/// One instance a pool started (a process, a container, a worker on an ssh host), as recorded in the database
/// before it starts, so whichever master manages the pool next can find it.
public struct PoolInstance: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Asked to start; its worker has not connected yet.
        case starting
        /// Its worker connected.
        case running
        /// Gone: stopped, failed, or reaped.
        case stopped
    }

    public var id: Int
    public var pool: String
    public var worker: String
    /// The provisioner's type (`local`, `command`, `docker`, `ssh`).
    public var provisioner: String
    /// The provider's id (a container id, `host:port/NAME`), once the start returned one.
    public var providerID: String?
    /// The master that started it, and its claim on the pool then.
    public var masterID: Int
    public var epoch: Int
    public var state: State
    public var startedAt: Date
    public var connectedAt: Date?
    public var stoppedAt: Date?
    /// Why it stopped.
    public var detail: String?

    public init(
        id: Int, pool: String, worker: String, provisioner: String, providerID: String? = nil, masterID: Int,
        epoch: Int, state: State, startedAt: Date, connectedAt: Date? = nil, stoppedAt: Date? = nil,
        detail: String? = nil
    ) {
        self.id = id
        self.pool = pool
        self.worker = worker
        self.provisioner = provisioner
        self.providerID = providerID
        self.masterID = masterID
        self.epoch = epoch
        self.state = state
        self.startedAt = startedAt
        self.connectedAt = connectedAt
        self.stoppedAt = stoppedAt
        self.detail = detail
    }
}
