import Foundation
import GantryModel
import NIOCore
import NIOHTTP1
import NIOPosix

/// Opens `target` (a path and query) on the server at `base` with `headers`, and runs `body` with a reader of the
/// answer. The connection is closed after `limit` in any case, so a test waiting for an event that never comes
/// fails then instead of hanging.
func withEventStream<T: Sendable>(
    _ base: URL,
    _ target: String,
    headers: [(String, String)] = [],
    limit: Duration = .seconds(20),
    _ body: (inout EventStreamReader) async throws -> T
) async throws -> T {
    guard let port = base.port else { throw EventStreamFailure(description: "no port in \(base)") }
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(
        host: "127.0.0.1", port: port
    ) { connected in
        connected.eventLoop.makeCompletedFuture {
            try connected.pipeline.syncOperations.addHTTPClientHandlers()
            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                wrappingChannelSynchronously: connected)
        }
    }
    return try await channel.executeThenClose { inbound, outbound in
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target)
        head.headers.add(name: "Host", value: "localhost")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        try await outbound.write(.head(head))
        try await outbound.write(.end(nil))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: limit)
                channel.channel.close(promise: nil)
            }
            defer { group.cancelAll() }
            var reader = EventStreamReader(parts: inbound.makeAsyncIterator())
            try await reader.readHead()
            return try await body(&reader)
        }
    }
}

/// The answer to a request for an event stream, read as it arrives.
struct EventStreamReader {
    private var parts: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private var parser = ServerSentEventParser()
    private var pending: [ServerSentEvent] = []
    private var body: [UInt8] = []
    private(set) var status = 0
    private(set) var headers = HTTPHeaders()

    fileprivate init(parts: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator) {
        self.parts = parts
    }

    /// The `retry` the stream asked for; nil until its opening block was read.
    var retry: Int? { parser.retry }
    /// The id the stream last gave.
    var lastEventID: String { parser.lastEventID }

    fileprivate mutating func readHead() async throws {
        guard case .head(let head) = try await parts.next() else {
            throw EventStreamFailure(description: "the connection ended without an answer")
        }
        status = Int(head.status.code)
        headers = head.headers
    }

    /// Reads until the stream's opening block (the one with `retry`) has come.
    mutating func opened() async throws {
        while parser.retry == nil {
            guard try await readPart() else {
                throw EventStreamFailure(description: "the stream ended before its opening block")
            }
        }
    }

    /// The next event; nil when the stream ended (or was closed at the test's limit).
    mutating func next() async throws -> ServerSentEvent? {
        while pending.isEmpty {
            guard try await readPart() else { return nil }
        }
        return pending.removeFirst()
    }

    /// The whole body as text, for an answer that is not a stream.
    mutating func text() async throws -> String {
        while try await readPart() {}
        return String(decoding: body, as: UTF8.self)
    }

    /// Reads the next part of the body; false once it ended.
    private mutating func readPart() async throws -> Bool {
        guard let part = try await parts.next() else { return false }
        switch part {
        case .head:
            throw EventStreamFailure(description: "a second answer head")
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
            pending += try parser.parse(buffer.readableBytesView)
            return true
        case .end:
            return false
        }
    }
}

struct EventStreamFailure: Error, CustomStringConvertible {
    let description: String
}
