public import Foundation

/// One thing a pool did, for its event log (`GET /api/v2/pools/{name}/events`).
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

    public init(time: Date, pool: String, worker: String?, kind: Kind, detail: String? = nil) {
        self.time = time
        self.pool = pool
        self.worker = worker
        self.kind = kind
        self.detail = detail
    }
}
