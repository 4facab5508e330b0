public import Foundation

/// One thing a pool did, for its event log (`GET /api/v2/pools/{name}/events`), kept in the database so any
/// master shows it and it outlives the master that recorded it.
public struct PoolEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case startRequested = "start requested"
        case connected
        case startFailed = "start failed"
        /// The provider refused for now (a quota, a rate limit): the pool tries again later.
        case startDeferred = "start deferred"
        /// A start failed in a way that cannot work as configured: the pool starts no worker until reconfigured.
        case blocked
        /// An instance nobody manages any more (left by a master that died, or not recorded) was removed.
        case reaped
        case pruned
        case retired
        case configReloaded = "config reloaded"
        /// This master took over the pool's management.
        case claimed
        /// This master stopped managing the pool.
        case released
    }

    public var time: Date
    public var pool: String
    public var worker: String?
    public var kind: Kind
    public var detail: String?
    /// The master that managed the pool then.
    public var masterID: Int?

    public init(time: Date, pool: String, worker: String?, kind: Kind, detail: String? = nil, masterID: Int? = nil) {
        self.time = time
        self.pool = pool
        self.worker = worker
        self.kind = kind
        self.detail = detail
        self.masterID = masterID
    }
}
