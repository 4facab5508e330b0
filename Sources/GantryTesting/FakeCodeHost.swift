public import GantryModel
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A fake of a code host's API (GitHub, GitLab, Gitea) or of a webhook receiver, on a loopback port, for the
/// reporters' tests: the hosted APIs cannot run here.
///
/// It checks each request against the real API's shape (paths, headers, JSON fields): a request that breaks it
/// is answered 422 and recorded in ``violations``, which a test asserts is empty. It records every request and
/// answers as the API does (201 with a JSON body), unless told to answer otherwise (``answerNext(_:with:)``).
public final class FakeCodeHost: Sendable {
    /// The API faked.
    public enum API: String, Sendable {
        case github, gitlab, gitea
        /// Any receiver of the HTTP push reporter's documents.
        case webhook
    }

    /// One request as received.
    public struct Request: Sendable {
        public var method: String
        /// The path as sent, percent-encoding kept, without the query.
        public var path: String
        /// Header names lower-cased; the last value of a repeated header.
        public var headers: [String: String]
        /// The body's exact bytes (a signature is checked over them).
        public var body: [UInt8]

        /// The body as JSON; nil when it is not JSON.
        public var json: JSONValue? { try? JSONValue(json: String(decoding: body, as: UTF8.self)) }

        /// The value of the header `name` (any case).
        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// An answer the fake gives instead of the API's.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String

        public init(status: Int, headers: [String: String] = [:], body: String = "{}") {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// 500, as a host that is down for a moment.
        public static let serverError = Answer(status: 500, body: #"{"message":"Server Error"}"#)
        /// 404, as GitHub answers for a repository the token cannot see.
        public static let notFound = Answer(status: 404, body: #"{"message":"Not Found"}"#)
        /// 401, as GitHub answers a wrong token.
        public static let badCredentials = Answer(status: 401, body: #"{"message":"Bad credentials"}"#)

        /// 429 with `Retry-After`.
        public static func tooManyRequests(retryAfter seconds: Int) -> Answer {
            Answer(status: 429, headers: ["Retry-After": "\(seconds)"], body: #"{"message":"Too Many Requests"}"#)
        }

        /// GitHub's secondary rate limit: 403 with `Retry-After`.
        public static func secondaryRateLimit(retryAfter seconds: Int) -> Answer {
            Answer(
                status: 403, headers: ["Retry-After": "\(seconds)"],
                body: #"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes."}"#)
        }

        /// GitHub's primary rate limit: 403, no request left until the epoch second `reset`.
        public static func rateLimitExhausted(reset: Int) -> Answer {
            Answer(
                status: 403, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "\(reset)"],
                body: #"{"message":"API rate limit exceeded for installation ID 1."}"#)
        }
    }

    /// What the fake has seen and been told.
    struct State {
        var requests: [Request] = []
        var violations: [String] = []
        var scripted: [Answer] = []
        /// The current state of each commit status (GitLab refuses some transitions), by project, sha and name.
        var statuses: [String: String] = [:]
        /// Whether answers wait for ``release()``.
        var isHeld = false
        /// The connections waiting for ``release()``.
        var held: [CheckedContinuation<Void, Never>] = []
    }

    public let api: API
    /// `http://127.0.0.1:<port>`: the reporter's base URL.
    public let baseURL: String
    let state = Mutex(State())

    init(api: API, port: Int) {
        self.api = api
        self.baseURL = "http://127.0.0.1:\(port)"
    }

    /// Every request received, in order.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// Why each request that broke the API's shape broke it; a test of a reporter expects none.
    public var violations: [String] { state.withLock { $0.violations } }

    /// Answers the next `count` well-formed requests with `answer` instead of the API's answer.
    public func answerNext(_ count: Int = 1, with answer: Answer) {
        state.withLock { $0.scripted += Array(repeating: answer, count: count) }
    }

    /// Keeps the answers to requests received from now on until ``release()``: each request is recorded at once,
    /// and its sender waits, as a client does on a host that hangs.
    public func hold() {
        state.withLock { $0.isHeld = true }
    }

    /// Answers the requests held, and those received later at once.
    public func release() {
        let held = state.withLock { state in
            state.isHeld = false
            defer { state.held = [] }
            return state.held
        }
        for connection in held { connection.resume() }
    }

    private func waitWhileHeld() async {
        await withCheckedContinuation { continuation in
            let waits = state.withLock { state in
                if state.isHeld { state.held.append(continuation) }
                return state.isHeld
            }
            if !waits { continuation.resume() }
        }
    }

    /// Runs `body` while a fake of `api` listens on 127.0.0.1 (any free port); stops it on every path.
    public static func with<T: Sendable>(_ api: API, _ body: (FakeCodeHost) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let host = FakeCodeHost(api: api, port: server.channel.localAddress?.port ?? 0)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { served in
                        for try await connection in connections {
                            served.addTask { await host.serve(connection) }
                        }
                    }
                }
            }
            // Cancelling the listener ends the accept loop and every connection's read, and closes them all; held
            // answers go first, or their connections would never end.
            defer {
                host.release()
                group.cancelAll()
            }
            return try await body(host)
        }
    }

    /// Answers the requests of one connection until the client closes it.
    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        // A connection the client drops or resets is simply over; the requests it carried are recorded.
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let received):
                    head = received
                    body = []
                case .body(let bytes):
                    body += bytes.readableBytesView
                case .end:
                    guard let received = head else { continue }
                    let reply = answer(received, body: body)
                    await waitWhileHeld()
                    try await write(reply, keepAlive: received.isKeepAlive, to: outbound)
                    if !received.isKeepAlive { return }
                }
            }
        }
    }

    /// Records the request and decides its answer: 422 for a broken shape, else what the fake was told to
    /// answer, else the API's own answer.
    private func answer(_ head: HTTPRequestHead, body: [UInt8]) -> Answer {
        let request = Request(
            method: head.method.rawValue,
            path: String(head.uri.prefix { $0 != "?" }),
            headers: Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 }),
            body: body)
        return state.withLock { state in
            state.requests.append(request)
            if let violation = api.violation(of: request) {
                state.violations.append("\(request.method) \(request.path): \(violation)")
                return Answer(status: 422, body: JSONValue.object(["message": .string(violation)]).jsonText)
            }
            if !state.scripted.isEmpty { return state.scripted.removeFirst() }
            return api.answer(to: request, id: state.requests.count, statuses: &state.statuses)
        }
    }

    private func write(
        _ answer: Answer, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders(answer.headers.map { ($0.key, $0.value) })
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        headers.replaceOrAdd(name: "Content-Length", value: "\(answer.body.utf8.count)")
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: answer.status)
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: answer.body))))
        try await outbound.write(.end(nil))
    }
}
