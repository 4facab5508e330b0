/// A lock of the configuration, Buildbot's `MasterLock` or `WorkerLock`: how many builds or steps may hold it at
/// once. Held in the database, so the count is kept across every master of the cluster.
public struct LockConfig: Sendable, Hashable {
    /// Whether the cluster has one of the lock, or each worker its own copy.
    public enum Kind: String, Sendable, Hashable {
        /// Buildbot's `MasterLock`: one lock for the whole cluster (Buildbot's is per master process).
        case master
        /// Buildbot's `WorkerLock`: a copy per worker, limiting what runs on that worker at once.
        case worker
    }

    /// The most holders a lock may have: an exclusive access takes every slot, one row each, so a count far
    /// beyond any real resource would only make exclusive accesses expensive.
    public static let maxCountLimit = 1_000

    public var name: String
    public var kind: Kind
    /// How many counting holders it may have at once; an exclusive holder has it alone.
    public var maxCount: Int
    /// A worker lock's count on particular workers (Buildbot's `maxCountForWorker`), by worker name.
    public var maxCountForWorker: [String: Int]

    public init(name: String, kind: Kind = .master, maxCount: Int = 1, maxCountForWorker: [String: Int] = [:]) {
        self.name = name
        self.kind = kind
        self.maxCount = maxCount
        self.maxCountForWorker = maxCountForWorker
    }

    /// The copy of the lock a build on `worker` contends for: the one master lock, or that worker's copy.
    public func instance(onWorker worker: String) -> LockInstance {
        switch kind {
        case .master: LockInstance(name: name, scope: "")
        case .worker: LockInstance(name: name, scope: worker)
        }
    }

    /// How many may hold the lock's copy on `worker` at once.
    public func maxCount(onWorker worker: String) -> Int {
        switch kind {
        case .master: self.maxCount
        case .worker: maxCountForWorker[worker] ?? self.maxCount
        }
    }
}
