/// One event of a Server-Sent Events stream (`text/event-stream`), as the master's event feed writes it and as
/// clients read it back.
///
/// The format is line-based: `id:`, `event:` and `data:` fields, one per line, and a blank line that dispatches
/// the event. It lives here, beside neither end, so the writer and the readers share one definition of it.
public struct ServerSentEvent: Sendable, Hashable {
    /// The id a client resumes after (`Last-Event-ID`); nil when the stream gave none.
    public var id: String?
    /// The event's type; nil for the default, `message`.
    public var event: String?
    public var data: String

    public init(id: String? = nil, event: String? = nil, data: String) {
        self.id = id
        self.event = event
        self.data = data
    }

    /// The event as the stream carries it, ending with the blank line that dispatches it. Each line of `data`
    /// becomes a `data:` line (a reader joins them with `\n`); line breaks in `id` and `event`, which one line must
    /// hold, are dropped.
    public var text: String {
        var text = ""
        if let id { text += "id: \(Self.oneLine(id))\n" }
        if let event { text += "event: \(Self.oneLine(event))\n" }
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: \.isEventStreamLineBreak) {
            text += "data: \(line)\n"
        }
        return text + "\n"
    }

    /// A block that dispatches no event: a comment, which readers skip (a keep-alive), the reconnection delay in
    /// milliseconds, and the id a reader resumes after, each when given.
    public static func control(comment: String? = nil, retry milliseconds: Int? = nil, id: String? = nil) -> String {
        var text = ""
        if let comment { text += ": \(oneLine(comment))\n" }
        if let milliseconds { text += "retry: \(max(milliseconds, 0))\n" }
        if let id { text += "id: \(oneLine(id))\n" }
        return text + "\n"
    }

    private static func oneLine(_ text: String) -> String {
        String(text.filter { !$0.isEventStreamLineBreak })
    }
}

extension Character {
    /// Whether the character ends a line of an event stream: LF, CR, or both (one `Character` as `\r\n`).
    fileprivate var isEventStreamLineBreak: Bool {
        self == "\n" || self == "\r" || self == "\r\n"
    }
}
