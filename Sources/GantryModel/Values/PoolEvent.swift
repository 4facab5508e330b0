public import Foundation

/// One thing a pool did, for its event log (`GET /api/v2/pools/{name}/events`), kept in the database so any
/// master shows it and it outlives the master that recorded it.
public struct PoolEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case startRequested = "start requested"
        case connected
        case startFailed = "start failed"
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
