public import Foundation
public import GantryModel

/// A report to put into a reporter's outbox, named by the event it comes from and its place among that event's
/// reports, so that queueing it twice is impossible.
public struct QueuedReport: Sendable, Hashable {
    /// The feed event the report was rendered from.
    public var eventID: Int
    /// Its place among the reports of that event, from 0.
    public var index: Int
    /// Where it goes; reports with the same target replace one another.
    public var target: String
    /// What the reporter sends, without secrets.
    public var payload: JSONValue
    /// When the event was recorded, so a delivery's latency can be measured from it.
    public var eventAt: Date

    public init(eventID: Int, index: Int, target: String, payload: JSONValue, eventAt: Date) {
        self.eventID = eventID
        self.index = index
        self.target = target
        self.payload = payload
        self.eventAt = eventAt
    }
}
