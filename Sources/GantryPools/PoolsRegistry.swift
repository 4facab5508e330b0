import Synchronization

/// The master's pool manager, once it runs (it needs the master's id and the worker port): the API reads the
/// pools through it.
public final class PoolsRegistry: Sendable {
    private let current = Mutex<PoolManager?>(nil)

    public init() {}

    public func set(_ manager: PoolManager) {
        current.withLock { $0 = manager }
    }

    public var manager: PoolManager? { current.withLock { $0 } }
}
