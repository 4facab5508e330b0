import GantryModel

/// Buildbot's WebSocket protocol for one socket, as decisions apart from the socket (``BuildbotSocket`` does the
/// I/O): the client's commands (``BuildbotSocketCommand``) change which paths it consumes and are answered; each
/// event of the feed read from then on goes out under every key of it (``BuildbotEventKeys``) that one of those
/// paths matches, once per key however many paths match it.
///
/// Everything is bounded: the paths a socket consumes, and the bytes handed to the socket and not yet written. A
/// client that reads more slowly than its events arrive is cut off (``Action/abort(queuedBytes:)``), not
/// buffered for.
struct BuildbotSocketSession: Sendable {
    struct Limits: Sendable, Equatable {
        /// The paths one socket may consume at once (the UI's busiest page consumes about a dozen).
        var maxPaths = 64
        /// The bytes of messages queued for the socket and not yet written, beyond which it is closed. A batch of
        /// events is always taken when nothing is queued, however large it is.
        var maxQueuedBytes = 4 << 20
    }

    enum State: Sendable, Equatable {
        /// The paths consumed, in the order asked for, and the bytes queued and not yet written.
        case open(paths: [EventPath], queuedBytes: Int)
        /// Cut off; nothing more is sent.
        case closed
    }

    enum Action: Sendable, Equatable {
        /// Queue these messages for the socket, in order.
        case send([String])
        /// Close the socket at once, unflushed: it has this many bytes waiting, over the limit.
        case abort(queuedBytes: Int)
        /// Nothing to send.
        case wait
    }

    let limits: Limits
    private(set) var state = State.open(paths: [], queuedBytes: 0)

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The client sent `text`.
    mutating func frameReceived(_ text: String) -> Action {
        switch state {
        case .open(let paths, _):
            let reply: BuildbotSocketReply
            switch BuildbotSocketCommand.parse(text) {
            case .refused(let refusal):
                reply = refusal
            case .command(.ping(let id)):
                reply = .pong(id: id)
            case .command(.startConsuming(let path, let id)):
                reply = startConsuming(path, id: id, consumed: paths)
            case .command(.stopConsuming(let path, let id)):
                reply = stopConsuming(path, id: id, consumed: paths)
            }
            return queue([reply.text])
        case .closed:
            return .wait
        }
    }

    /// The feed's next `events` were read; those the client consumes are sent.
    mutating func eventsRead(_ events: [FeedEvent]) -> Action {
        switch state {
        case .open(let paths, _):
            guard !paths.isEmpty else { return .wait }
            var messages: [String] = []
            for event in events {
                var payload: String?
                for key in BuildbotEventKeys.keys(event.key, payload: event.payload)
                where paths.contains(where: { $0.matches(key) }) {
                    let text = payload ?? event.payload.jsonText
                    payload = text
                    messages.append(BuildbotSocketReply.event(key: key, payload: text))
                }
            }
            return queue(messages)
        case .closed:
            return .wait
        }
    }

    /// The socket wrote a message of `bytes` bytes.
    mutating func messageWritten(bytes: Int) {
        switch state {
        case .open(let paths, let queued):
            state = .open(paths: paths, queuedBytes: max(0, queued - bytes))
        case .closed:
            break
        }
    }

    private mutating func startConsuming(
        _ text: String, id: JSONValue, consumed paths: [EventPath]
    ) -> BuildbotSocketReply {
        let path: EventPath
        do {
            path = try EventPath(parsing: text)
        } catch {
            return .error(error.message, code: 400, id: id)
        }
        // Consuming a path twice is acknowledged again, as Buildbot does, and changes nothing.
        guard !paths.contains(path) else { return .ok(id: id) }
        guard paths.count < limits.maxPaths else {
            return .error("at most \(limits.maxPaths) paths may be consumed on one socket", code: 400, id: id)
        }
        setPaths(paths + [path])
        return .ok(id: id)
    }

    private mutating func stopConsuming(
        _ text: String, id: JSONValue, consumed paths: [EventPath]
    ) -> BuildbotSocketReply {
        guard let path = try? EventPath(parsing: text), paths.contains(path) else {
            return .error("path was not consumed '\(text)'", code: 400, id: id)
        }
        setPaths(paths.filter { $0 != path })
        return .ok(id: id)
    }

    private mutating func setPaths(_ paths: [EventPath]) {
        switch state {
        case .open(_, let queued):
            state = .open(paths: paths, queuedBytes: queued)
        case .closed:
            break
        }
    }

    /// Queues `messages`, unless that puts the socket over its limit while earlier messages still wait.
    private mutating func queue(_ messages: [String]) -> Action {
        switch state {
        case .open(let paths, let queued):
            guard !messages.isEmpty else { return .wait }
            let total = messages.reduce(queued) { $0 + $1.utf8.count }
            if queued > 0 && total > limits.maxQueuedBytes {
                state = .closed
                return .abort(queuedBytes: total)
            }
            state = .open(paths: paths, queuedBytes: total)
            return .send(messages)
        case .closed:
            return .wait
        }
    }
}
