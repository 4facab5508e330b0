import AsyncHTTPClient
import Foundation
import GantryCommandLine
import GantryModel

/// Follows a master's event stream (`GET /api/v2/events`), reconnecting with `Last-Event-ID` when the connection
/// drops, as a browser's `EventSource` does: the master may have restarted, or its database connection failed.
struct EventStream {
    let api: MasterAPIOptions
    /// The patterns of the event keys wanted, such as `logs/12/*`.
    let paths: [String]

    /// Connection attempts that may fail in a row before following gives up.
    static let maxFailures = 30
    /// The silence after which a connection is taken for dead: the master pings every 15 seconds.
    static let maxSilence: Duration = .seconds(45)
    /// The wait before reconnecting, until the master says otherwise (its `retry`), held within these bounds.
    static let defaultRetry: Duration = .seconds(2)
    static let retryBounds: ClosedRange<Duration> = .milliseconds(100) ... .seconds(30)
    /// How long a quiet stream goes before `update` is called anyway.
    static let recheck: Duration = .seconds(15)

    /// Calls `update` once each time the stream is connected (with no events: from then on every event reaches
    /// it, so it can read the state the events change), with each piece of events that arrives, and at a ping when
    /// it was not called for ``recheck`` (so an event lost on the way costs no more than that), until `update`
    /// returns true.
    ///
    /// A connection that fails, and an `update` that fails (the master may be gone), are tried again after the
    /// master's `retry` delay, up to ``maxFailures`` times in a row.
    /// - Throws: `CommandFailure` when the master refuses the stream, or when it cannot be followed any more.
    func follow(until update: ([ServerSentEvent]) async throws -> Bool) async throws {
        let url = try streamURL()
        let sent = try api.credentials()
        var lastEventID = ""
        var retry = Self.defaultRetry
        var failures = 0
        while true {
            do {
                if try await connect(
                    url, sent: sent, lastEventID: &lastEventID, retry: &retry, failures: &failures, update)
                {
                    return
                }
            } catch let refusal as EventStreamRefusal where !refusal.isTransient {
                throw APICredentials.refusal(status: refusal.status, message: refusal.message, sent: sent)
                    ?? CommandFailure("the master refused the event stream: \(refusal.message)")
            } catch {
                try Task.checkCancellation()
                failures += 1
                guard failures < Self.maxFailures else {
                    throw CommandFailure("lost the master's event stream at \(url): \(error)")
                }
            }
            try await Task.sleep(for: retry)
        }
    }

    /// One connection, read until it ends; whether `update` said to stop.
    private func connect(
        _ url: URL,
        sent: APICredentials?,
        lastEventID: inout String,
        retry: inout Duration,
        failures: inout Int,
        _ update: ([ServerSentEvent]) async throws -> Bool
    ) async throws -> Bool {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let sent { request.headers.add(name: "Authorization", value: sent.authorization) }
        if !lastEventID.isEmpty { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let connection = EventStreamConnection()
        return try await withThrowingTaskGroup(of: Void.self) { [request] group in
            group.addTask { await connection.read(request) }
            group.addTask {
                while connection.silence < Self.maxSilence {
                    try await Task.sleep(for: .seconds(5))
                }
                connection.fail(CommandFailure("the master sent nothing for \(Self.maxSilence)"))
            }
            defer { group.cancelAll() }
            var parser = ServerSentEventParser(lastEventID: lastEventID)
            var connected = false
            var lastUpdate = ContinuousClock.now
            for try await chunk in connection.chunks {
                let events = try parser.parse(chunk.readableBytesView)
                lastEventID = parser.lastEventID
                if let milliseconds = parser.retry {
                    let asked = Duration.milliseconds(milliseconds)
                    retry = min(max(asked, Self.retryBounds.lowerBound), Self.retryBounds.upperBound)
                }
                // The opening block carries `retry`: once it is read, the master streams every event from here on.
                guard parser.retry != nil else { continue }
                guard !connected || !events.isEmpty || ContinuousClock.now - lastUpdate >= Self.recheck else {
                    continue
                }
                connected = true
                if try await update(events) { return true }
                lastUpdate = .now
                failures = 0
            }
            return false
        }
    }

    private func streamURL() throws -> URL {
        let query = paths.map { "path=" + ($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0) }
        guard
            let url = URL(
                string: api.master.trimmingCharacters(in: ["/"]) + "/api/v2/events?" + query.joined(separator: "&")),
            url.scheme == "http" || url.scheme == "https"
        else { throw CommandFailure("--master must be an http(s) URL, not '\(api.master)'") }
        return url
    }
}
