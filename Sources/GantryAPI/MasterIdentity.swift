import Synchronization

/// This master's id once it has registered in the cluster: the API needs it for the claims it writes itself
/// (cancelling a waiting request), and answers 503 until then.
public final class MasterIdentity: Sendable {
    private let value = Mutex<Int?>(nil)

    public init(_ id: Int? = nil) {
        value.withLock { $0 = id }
    }

    public func set(_ id: Int) {
        value.withLock { $0 = id }
    }

    public var id: Int? { value.withLock { $0 } }
}
