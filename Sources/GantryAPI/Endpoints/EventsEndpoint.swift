import Foundation
import GantryModel
import Hummingbird
import ServiceLifecycle

extension HTTPAPI {
    /// How long a stream may stay silent before a `: ping` comment: it keeps proxies from closing the connection,
    /// and finds a client that went away.
    static let eventPing: Duration = .seconds(15)
    /// The reconnection delay the stream asks clients for, in milliseconds.
    static let eventRetry = 2000

    /// `GET /api/v2/events?path=PATTERN&after=ID&format=event|message`: the event feed as Server-Sent Events, each
    /// event `id: <id>`, `event: <key>` and `data: <payload as JSON>` (with `format=message`, untyped with
    /// `data: {"key": <key>, "data": <payload>}`), for the keys the `path` patterns match (every key without one).
    ///
    /// It starts after `Last-Event-ID` (or `after`), else after the newest event, and its opening block carries
    /// `retry` and the id it starts after. A client whose id is older than the database still holds gets one
    /// `resync` event (with the id it goes on after, and `{"reason": ...}`) and then what follows the newest event. The stream ends when a
    /// write fails (the client went away: the pings find it within their interval) and on graceful shutdown.
    func addEvents(to router: Router<APIRequestContext>) {
        router.get("/api/v2/events") { [eventFeed] request, _ -> Response in
            let subscription: EventSubscription
            do {
                subscription = try EventSubscription(
                    options: Self.options(of: request),
                    lastEventID: request.header("last-event-id"))
            } catch {
                return await APIResponse.answering(logger: logger) { throw error }
            }
            let body = ResponseBody { writer in
                let shutdown = Latch()
                try await withGracefulShutdownHandler {
                    try await Self.stream(subscription, from: eventFeed, to: &writer, until: shutdown)
                } onGracefulShutdown: {
                    shutdown.open()
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
        }
    }

    /// What the stream got while waiting for `Value`.
    private enum EventWake<Value: Sendable>: Sendable {
        case value(Value)
        /// The stream was silent for `eventPing`.
        case ping
        case shutdown
    }

    /// Writes what `subscription` wants from `feed` until `shutdown` opens; a failed write (the client went away)
    /// or a failed read of the feed ends it with that error.
    private static func stream(
        _ subscription: EventSubscription,
        from feed: EventFeed,
        to writer: inout any ResponseBodyWriter,
        until shutdown: Latch
    ) async throws {
        var lastWrite = ContinuousClock.now
        var cursor: Int
        if let after = subscription.after {
            cursor = after
        } else {
            guard let newest = try await start(of: feed, to: &writer, lastWrite: &lastWrite, until: shutdown) else {
                return
            }
            cursor = newest
        }
        // The opening block tells the client where it starts: the cursor was fixed before it heard it is subscribed,
        // so whatever it reads afterwards, the events that change that come after the cursor.
        try await writer.write(ByteBuffer(string: ServerSentEvent.control(retry: eventRetry, id: String(cursor))))
        lastWrite = .now
        // The id the client was last told, so a ping can tell it how far the events it did not want went.
        var told = cursor
        while true {
            let position = cursor
            let wake = try await first(pingAt: lastWrite.advanced(by: eventPing), or: shutdown) {
                try await feed.next(after: position)
            }
            var text = ""
            switch wake {
            case .shutdown:
                return
            case .ping:
                text = ServerSentEvent.control(comment: "ping", id: cursor == told ? nil : String(cursor))
                told = cursor
            case .value(.events(let events)):
                for event in events where subscription.wants(event.key) {
                    text += subscription.text(id: event.id, key: event.key, data: event.payload)
                    told = event.id
                }
                cursor = events.last?.id ?? cursor
            case .value(.resync(let newest)):
                let reason =
                    cursor > newest
                    ? "event \(cursor) is newer than any event here; going on after the newest"
                    : "events after \(cursor) were trimmed; going on after the newest"
                text = subscription.text(id: newest, key: "resync", data: ["reason": .string(reason)])
                cursor = newest
                told = newest
            }
            guard !text.isEmpty else { continue }
            try await writer.write(ByteBuffer(string: text))
            lastWrite = .now
        }
    }

    /// Where a stream without a cursor starts: the feed's newest event id, once it has started (pinging while it
    /// has not); nil on shutdown.
    private static func start(
        of feed: EventFeed,
        to writer: inout any ResponseBodyWriter,
        lastWrite: inout ContinuousClock.Instant,
        until shutdown: Latch
    ) async throws -> Int? {
        while true {
            let wake = try await first(pingAt: lastWrite.advanced(by: eventPing), or: shutdown) {
                try await feed.newest()
            }
            switch wake {
            case .value(let newest):
                return newest
            case .ping:
                try await writer.write(ByteBuffer(string: ServerSentEvent.control(comment: "ping")))
                lastWrite = .now
            case .shutdown:
                return nil
            }
        }
    }

    /// Waits for `operation`, the ping deadline or the shutdown, whichever comes first, and cancels the others.
    private static func first<Value: Sendable>(
        pingAt deadline: ContinuousClock.Instant,
        or shutdown: Latch,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> EventWake<Value> {
        try await withThrowingTaskGroup(of: EventWake<Value>.self) { group in
            group.addTask { .value(try await operation()) }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return .ping
            }
            group.addTask {
                await shutdown.waitUnlessCancelled()
                return .shutdown
            }
            defer { group.cancelAll() }
            guard let wake = try await group.next() else { throw CancellationError() }
            return wake
        }
    }
}
