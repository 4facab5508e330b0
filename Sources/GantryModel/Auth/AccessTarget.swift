/// What an action is applied to, as far as rules care; a `nil` field is not applicable or not known.
public struct AccessTarget: Sendable, Hashable {
    public var builder: String?
    public var scheduler: String?
    public var worker: String?
    /// The owner of the build or buildset (its `owner` property), which the `owner` role matches.
    public var owner: String?

    public init(
        builder: String? = nil, scheduler: String? = nil, worker: String? = nil, owner: String? = nil
    ) {
        self.builder = builder
        self.scheduler = scheduler
        self.worker = worker
        self.owner = owner
    }

    /// No particular target: only rules that restrict no name match it.
    public static let any = AccessTarget()
}
