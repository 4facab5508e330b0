import Foundation
import GantryModel
import NIOCore
import NIOPosix

/// An answer read off a connection whose request the test wrote byte by byte.
struct RawAnswer: Sendable {
    var status: Int
    /// Header values by lower-cased name.
    var headers: [String: String]
    var body: [UInt8]
    /// Whether the server closed the connection after answering; awaited when the answer says `Connection: close`.
    var closed = false

    /// The body's JSON value at `key`.
    subscript(_ key: String) -> JSONValue? {
        (try? JSONValue(json: String(decoding: body, as: UTF8.self)))?[key]
    }
}

/// A request exchange that did not end in time, or ended without an answer.
struct RawExchangeFailure: Error, CustomStringConvertible {
    let description: String
}

/// Sends `head` and then each of `parts` over a new connection to `base`, reading the answer meanwhile as a
/// client still streaming its body would; the connection stays open after the last part until the answer (and,
/// when it says `Connection: close`, the end of the connection) arrives, or `limit` passes.
func rawExchange(
    _ base: URL,
    head: String,
    parts: [[UInt8]] = [],
    limit: Duration = .seconds(20)
) async throws -> RawAnswer {
    guard let port = base.port else { throw RawExchangeFailure(description: "no port in \(base)") }
    return try await withThrowingTaskGroup(of: RawAnswer.self) { group in
        group.addTask { try await exchange(port: port, head: head, parts: parts) }
        group.addTask {
            try await Task.sleep(for: limit)
            throw RawExchangeFailure(description: "the exchange did not end within \(limit)")
        }
        defer { group.cancelAll() }
        guard let answer = try await group.next() else { throw CancellationError() }
        return answer
    }
}

/// A request head for `POST path`, with `headers` (each `Name: value`) and the usual `Host`.
func rawHead(_ path: String, _ headers: [String]) -> String {
    (["POST \(path) HTTP/1.1", "Host: localhost"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
}

/// `bytes` as one chunk of a `Transfer-Encoding: chunked` body.
func rawChunk(_ bytes: some Collection<UInt8>) -> [UInt8] {
    var chunk = Array(String(bytes.count, radix: 16).utf8)
    chunk.append(contentsOf: "\r\n".utf8)
    chunk.append(contentsOf: bytes)
    chunk.append(contentsOf: "\r\n".utf8)
    return chunk
}

/// The chunk that ends a chunked body.
let rawLastChunk = Array("0\r\n\r\n".utf8)

private func exchange(port: Int, head: String, parts: [[UInt8]]) async throws -> RawAnswer {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(
        host: "127.0.0.1", port: port
    ) { connected in
        connected.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: connected)
        }
    }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: head))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for part in parts {
                    do {
                        try await outbound.write(ByteBuffer(bytes: part))
                    } catch {
                        return  // the server closed the connection; what it answered is still read
                    }
                }
            }
            defer {
                group.cancelAll()
                channel.channel.close(promise: nil)
            }
            var received: [UInt8] = []
            var answer: RawAnswer?
            var closed = false
            var iterator = inbound.makeAsyncIterator()
            while true {
                // A reset ends the connection as its orderly end does; the bytes before it were delivered.
                guard let buffer = try? await iterator.next() else {
                    closed = true
                    break
                }
                received.append(contentsOf: buffer.readableBytesView)
                if answer == nil { answer = RawAnswer(parsing: received) }
                if let answer, answer.headers["connection"]?.lowercased() != "close" { break }
            }
            guard var complete = answer else {
                throw RawExchangeFailure(
                    description: "the connection ended without an answer: \(String(decoding: received, as: UTF8.self))")
            }
            complete.closed = closed
            return complete
        }
    }
}

extension RawAnswer {
    /// The answer at the start of `bytes`; `nil` until its head and `Content-Length` bytes of body are there.
    fileprivate init?(parsing bytes: [UInt8]) {
        let separator = Array("\r\n\r\n".utf8)
        guard bytes.count >= separator.count,
            let headEnd = (0...(bytes.count - separator.count)).first(where: {
                bytes[$0..<$0 + separator.count].elementsEqual(separator)
            })
        else { return nil }
        var lines = String(decoding: bytes[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...]
            headers[line[..<colon].lowercased()] = value.trimmingCharacters(in: .whitespaces)
        }
        let bodyStart = headEnd + separator.count
        let length = headers["content-length"].flatMap { Int($0) } ?? 0
        guard bytes.count - bodyStart >= length else { return nil }
        self.init(status: status, headers: headers, body: Array(bytes[bodyStart..<bodyStart + length]))
    }
}
