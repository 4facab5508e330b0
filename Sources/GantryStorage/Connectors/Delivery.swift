public import Foundation
public import GantryModel

/// One report in a reporter's outbox, with how its sending went so far.
public struct Delivery: Sendable, Hashable {
    /// Unique among all deliveries, whichever master sends it (an HTTP push's delivery id).
    public var id: Int
    public var reporterID: Int
    /// The feed event the report was rendered from.
    public var eventID: Int
    /// Its place among the reports of that event, from 0.
    public var index: Int
    /// Where it goes; reports with the same target replace one another.
    public var target: String
    /// What the reporter sends, without secrets.
    public var payload: JSONValue
    public var state: DeliveryState
    /// The attempts that failed so far.
    public var attempts: Int
    /// When it is sent (again), while pending.
    public var nextAttemptAt: Date
    public var createdAt: Date
    /// When its event was recorded.
    public var eventAt: Date
    /// When the target accepted it.
    public var deliveredAt: Date?
    /// The target's answer on delivery: the HTTP status or the SMTP reply code, when there is one.
    public var status: Int?
    /// Why the last attempt failed (or why it was not sent again).
    public var lastError: String?
    /// When the last attempt failed.
    public var lastErrorAt: Date?

    public init(
        id: Int, reporterID: Int, eventID: Int, index: Int, target: String, payload: JSONValue,
        state: DeliveryState, attempts: Int = 0, nextAttemptAt: Date, createdAt: Date, eventAt: Date,
        deliveredAt: Date? = nil, status: Int? = nil, lastError: String? = nil, lastErrorAt: Date? = nil
    ) {
        self.id = id
        self.reporterID = reporterID
        self.eventID = eventID
        self.index = index
        self.target = target
        self.payload = payload
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.eventAt = eventAt
        self.deliveredAt = deliveredAt
        self.status = status
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}
