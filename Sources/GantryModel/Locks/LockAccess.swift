/// How a builder or a step takes a lock, Buildbot's `LockAccess`: counting (the default, one of `maxCount`
/// places) or exclusive (the lock alone).
public struct LockAccess: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        case counting
        case exclusive
    }

    /// The lock, as the configuration defines it.
    public var lock: LockConfig
    public var mode: Mode

    public init(_ lock: LockConfig, mode: Mode = .counting) {
        self.lock = lock
        self.mode = mode
    }

    /// This access for a build on `worker`: which copy of the lock, and its count there.
    public func request(onWorker worker: String) -> LockRequest {
        LockRequest(instance: lock.instance(onWorker: worker), maxCount: lock.maxCount(onWorker: worker), mode: mode)
    }
}
