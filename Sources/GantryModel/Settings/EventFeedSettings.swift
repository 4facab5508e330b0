/// How much of the event feed (`/api/v2/events`) a master keeps: in the database, for clients that come back
/// after a while, and in memory, for those that keep up.
public struct EventFeedSettings: Sendable, Hashable {
    /// Events older than this are trimmed from the database.
    public var retention: Duration
    /// The most events kept in the database; the oldest beyond them are trimmed.
    public var maxStored: Int
    /// The newest events held in memory: a client within them is served without a database read.
    public var inMemory: Int
    /// How often the database is trimmed.
    public var trimInterval: Duration

    public init(
        retention: Duration = .seconds(7 * 24 * 3600),
        maxStored: Int = 100_000,
        inMemory: Int = 10_000,
        trimInterval: Duration = .seconds(60)
    ) {
        self.retention = retention
        self.maxStored = maxStored
        self.inMemory = inMemory
        self.trimInterval = trimInterval
    }
}
