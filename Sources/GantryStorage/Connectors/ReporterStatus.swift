public import Foundation

/// How one reporter is doing, for its page and the API: who runs it, how far it has read the event feed, and
/// what its outbox holds.
public struct ReporterStatus: Sendable, Hashable {
    public var id: Int
    public var name: String
    /// The master holding the reporter's claim; nil when none runs it.
    public var masterID: Int?
    /// The last feed event it has turned into deliveries; nil until it first ran.
    public var cursor: Int?
    /// Deliveries not yet delivered nor given up: waiting, or being sent.
    public var pending: Int
    public var failed: Int
    public var interrupted: Int
    /// Deliveries the targets accepted, among those still kept.
    public var delivered: Int
    public var lastDeliveredAt: Date?
    /// The newest error of any of its deliveries, and when it happened.
    public var lastError: String?
    public var lastErrorAt: Date?

    public init(
        id: Int, name: String, masterID: Int? = nil, cursor: Int? = nil, pending: Int = 0, failed: Int = 0,
        interrupted: Int = 0, delivered: Int = 0, lastDeliveredAt: Date? = nil, lastError: String? = nil,
        lastErrorAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.masterID = masterID
        self.cursor = cursor
        self.pending = pending
        self.failed = failed
        self.interrupted = interrupted
        self.delivered = delivered
        self.lastDeliveredAt = lastDeliveredAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}
