public import Foundation

/// One entry of the event feed: something changed, named by Buildbot's event key, with the resource as it was
/// once the change was committed, exactly as the REST API shows it.
public struct FeedEvent: Sendable, Equatable {
    /// Its place in the feed: events are read in ascending id, which is the order they were committed in.
    public var id: Int
    /// Buildbot's event key, such as `builds/12/finished`.
    public var key: String
    /// The resource the key names, as the data API renders it.
    public var payload: JSONValue
    /// When it was recorded, to the second.
    public var at: Date

    public init(id: Int, key: String, payload: JSONValue, at: Date) {
        self.id = id
        self.key = key
        self.payload = payload
        self.at = at
    }
}
