/// A lock access made concrete for one build: the copy of the lock it contends for, that copy's count and the
/// mode.
public struct LockRequest: Sendable, Hashable {
    public var instance: LockInstance
    /// Slots are numbered `0..<maxCount`.
    public var maxCount: Int
    public var mode: LockAccess.Mode

    public init(instance: LockInstance, maxCount: Int, mode: LockAccess.Mode) {
        self.instance = instance
        self.maxCount = maxCount
        self.mode = mode
    }
}
