/// What a notification announces, named as Buildbot names its messages.
public struct NotificationTopic: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// New build requests are waiting for a worker.
    public static let buildrequestsNew = NotificationTopic(rawValue: "buildrequests/new")
    /// A buildset completed.
    public static let buildsetsComplete = NotificationTopic(rawValue: "buildsets/complete")
    /// A build was asked to stop.
    public static let buildsStop = NotificationTopic(rawValue: "builds/stop")
    /// A worker was paused, unpaused, asked to shut down gracefully or killed.
    public static let workersControl = NotificationTopic(rawValue: "control/worker")
    /// A change was stored.
    public static let changesNew = NotificationTopic(rawValue: "changes/new")
    /// Locks were released: builds and steps waiting for them try again.
    public static let locksReleased = NotificationTopic(rawValue: "locks/released")
    /// Logs were finished here: the master's log settler merges or archives them. Delivered within the master only.
    public static let logsFinished = NotificationTopic(rawValue: "logs/finished")
    /// Events were added to the feed (`database.events`).
    public static let events = NotificationTopic(rawValue: "events")

    public var description: String { rawValue }
}
