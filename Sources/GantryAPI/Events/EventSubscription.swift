import GantryModel

/// What one client of `/api/v2/events` asked for: the event keys it wants, the id of the last event it has, and
/// the shape its events take.
struct EventSubscription: Sendable {
    /// How the stream carries an event's key.
    enum Format: String, Sendable {
        /// `event: <key>` and `data: <payload>`: each key is an event type of its own.
        case event
        /// Untyped events with `data: {"key": <key>, "data": <payload>}`: a browser's `EventSource.onmessage` sees
        /// only untyped events, and a client following patterns cannot add a listener for every key they match.
        case message
    }

    /// The most `path` options one request may give.
    static let maxPaths = 16

    /// The patterns of the keys wanted; none wants every event.
    var paths: [EventPath]
    /// The id to resume after; nil to start after the newest event.
    var after: Int?
    var format = Format.event

    /// Reads the query `options` (`path`, repeatable, `after` and `format`) and the `Last-Event-ID` header, which
    /// wins over `after`: a browser reconnecting sends the URL it began with and the id it got to.
    /// - Throws: `GantryError.invalidArgument` for an unknown option, a bad pattern, too many of them, an id that
    ///   is not a whole number of at least 0, or an unknown format.
    init(options: [(key: String, value: String)], lastEventID: String?) throws(GantryError) {
        var paths: [EventPath] = []
        var after: Int?
        for (key, value) in options {
            switch key {
            case "path":
                guard paths.count < Self.maxPaths else {
                    throw GantryError(.invalidArgument, "at most \(Self.maxPaths) 'path' options are allowed")
                }
                paths.append(try EventPath(parsing: value))
            case "after":
                after = try Self.eventID(value, from: "'after'")
            case "format":
                guard let format = Format(rawValue: value) else {
                    throw GantryError(.invalidArgument, "'format' must be event or message, not '\(value)'")
                }
                self.format = format
            default:
                throw GantryError(
                    .invalidArgument,
                    "unknown option '\(key)'; use path=PATTERN (repeatable), after=ID and format=event|message")
            }
        }
        if let lastEventID, !lastEventID.isEmpty {
            after = try Self.eventID(lastEventID, from: "Last-Event-ID")
        }
        self.paths = paths
        self.after = after
    }

    /// Whether the client wants events with `key`.
    func wants(_ key: String) -> Bool {
        paths.isEmpty || paths.contains { $0.matches(key) }
    }

    /// The event `id` with `key` and `data` as the stream carries it in the client's format.
    func text(id: Int, key: String, data: JSONValue) -> String {
        switch format {
        case .event:
            ServerSentEvent(id: String(id), event: key, data: data.jsonText).text
        case .message:
            ServerSentEvent(id: String(id), data: JSONValue.object(["key": .string(key), "data": data]).jsonText).text
        }
    }

    private static func eventID(_ text: String, from source: String) throws(GantryError) -> Int {
        guard let id = Int(text), id >= 0 else {
            throw GantryError(.invalidArgument, "\(source) must be an event id (a whole number of at least 0)")
        }
        return id
    }
}
