/// Reads a Server-Sent Events stream as its bytes arrive, in pieces cut anywhere, the way a browser's
/// `EventSource` does (WHATWG HTML, "event stream interpretation").
///
/// Lines end at LF, CR or CR LF (a CR LF cut between two pieces counts once); `:` starts a comment; unknown fields
/// are skipped; a blank line dispatches the event, unless it has no data. The last event id carries over from event
/// to event, as the one a reconnecting reader sends back. Lines and events are bounded, so a stream that never ends
/// a line cannot use up the reader's memory.
public struct ServerSentEventParser: Sendable {
    /// The longest line or event data read, in bytes.
    public static let maxLineBytes = 16 << 20

    /// The id the stream last dispatched (with an event or without one): what a reader resumes after.
    public private(set) var lastEventID: String
    /// The reconnection delay the stream asked for, in milliseconds; nil until it asks.
    public private(set) var retry: Int?

    private var line: [UInt8] = []
    /// Whether the last byte read was a CR, so an LF right after it ends no second line.
    private var afterCR = false
    private var atStart = true
    private var data: [UInt8] = []
    private var eventType = ""
    /// The id of the event being read, which becomes `lastEventID` when it is dispatched.
    private var pendingID: String

    /// - Parameter lastEventID: The id the reader got to on an earlier connection, kept until the stream sends one.
    public init(lastEventID: String = "") {
        self.lastEventID = lastEventID
        self.pendingID = lastEventID
    }

    /// Reads the next piece of the stream.
    /// - Returns: The events it completed, in order.
    /// - Throws: `GantryError.invalidArgument` when a line or an event's data outgrows ``maxLineBytes``.
    public mutating func parse(_ bytes: some Sequence<UInt8>) throws(GantryError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == Self.lf { continue }
            }
            switch byte {
            case Self.cr:
                afterCR = true
                try endLine(into: &events)
            case Self.lf:
                try endLine(into: &events)
            default:
                guard line.count < Self.maxLineBytes else {
                    throw GantryError(.invalidArgument, "event stream line longer than \(Self.maxLineBytes) bytes")
                }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) throws(GantryError) {
        defer { line.removeAll(keepingCapacity: true) }
        if atStart {
            atStart = false
            if line.starts(with: Self.byteOrderMark) { line.removeFirst(Self.byteOrderMark.count) }
        }
        guard let first = line.first else { return dispatch(into: &events) }
        guard first != Self.colon else { return }
        let colon = line.firstIndex(of: Self.colon) ?? line.endIndex
        var value = line[colon...].dropFirst()
        if value.first == Self.space { value = value.dropFirst() }
        switch String(decoding: line[..<colon], as: UTF8.self) {
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "data":
            guard data.count + value.count < Self.maxLineBytes else {
                throw GantryError(.invalidArgument, "event stream event longer than \(Self.maxLineBytes) bytes")
            }
            data.append(contentsOf: value)
            data.append(Self.lf)
        case "id" where !value.contains(0):
            pendingID = String(decoding: value, as: UTF8.self)
        case "retry" where !value.isEmpty && value.allSatisfy({ (Self.zero...Self.nine).contains($0) }):
            // More digits than an Int holds leave the delay as it was.
            retry = Int(String(decoding: value, as: UTF8.self)) ?? retry
        default:
            break
        }
    }

    private mutating func dispatch(into events: inout [ServerSentEvent]) {
        lastEventID = pendingID
        defer {
            data.removeAll(keepingCapacity: true)
            eventType = ""
        }
        guard !data.isEmpty else { return }
        events.append(
            ServerSentEvent(
                id: lastEventID.isEmpty ? nil : lastEventID,
                event: eventType.isEmpty ? nil : eventType,
                data: String(decoding: data.dropLast(), as: UTF8.self)))
    }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let colon = UInt8(ascii: ":")
    private static let space = UInt8(ascii: " ")
    private static let zero = UInt8(ascii: "0")
    private static let nine = UInt8(ascii: "9")
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
}
