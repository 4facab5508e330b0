import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Clients that send slowly or not at all cannot hold the HTTP port: a request head has a deadline, and while
/// such clients are connected the API still answers.
@Suite("HTTP API: slow and silent clients", .paced, .timeLimit(.minutes(2)))
struct HTTPConnectionLimitsTests {
    /// A short header timeout, and an idle timeout far beyond any wait here, so only the header timeout can be
    /// what closes a connection.
    static let shortHeaderTimeout = HTTPLimits(headerTimeout: .milliseconds(300), idleTimeout: .seconds(300))

    static let partialHead = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slo"

    @Test("half a request head is closed at the header timeout", arguments: [false, true])
    func halfHead(upgrades: Bool) async throws {
        try await withTestDatabase(.sqlite) { db in
            try await serve(db, upgrades: upgrades) { base in
                let connection = try RawConnection(port: try #require(base.port))
                defer { connection.close() }
                try connection.send(Self.partialHead)
                #expect(await connection.waitForClose())
            }
        }
    }

    @Test("a connection that sends nothing is closed at the header timeout", arguments: [false, true])
    func silent(upgrades: Bool) async throws {
        try await withTestDatabase(.sqlite) { db in
            try await serve(db, upgrades: upgrades) { base in
                let connection = try RawConnection(port: try #require(base.port))
                defer { connection.close() }
                #expect(await connection.waitForClose())
            }
        }
    }

    @Test(
        "a whole request is answered; half a head after it is closed at the header timeout too",
        arguments: [false, true])
    func halfHeadAfterAnsweredRequest(upgrades: Bool) async throws {
        try await withTestDatabase(.sqlite) { db in
            try await serve(db, upgrades: upgrades) { base in
                let connection = try RawConnection(port: try #require(base.port))
                defer { connection.close() }
                try connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let head = await connection.readResponseHead()
                #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
                try connection.send(Self.partialHead)
                #expect(await connection.waitForClose())
            }
        }
    }

    /// Serves the API with the short header timeout, on the plain HTTP/1 channel, or with `upgrades` on the one
    /// that can also upgrade to Buildbot's WebSocket (a master serving Buildbot's UI).
    private func serve(_ db: Database, upgrades: Bool, _ body: (URL) async throws -> Void) async throws {
        if upgrades {
            try await withBuildbotUIServer(db, limits: Self.shortHeaderTimeout, body)
        } else {
            try await withAPIServer(db, limits: Self.shortHeaderTimeout, body)
        }
    }

    @Test("while many half-sent requests are held, /healthz answers")
    func healthWhileHeld() async throws {
        try await withTestDatabase(.sqlite) { db in
            // Long enough that every held connection is still open when /healthz is asked.
            let limits = HTTPLimits(headerTimeout: .seconds(120), idleTimeout: .seconds(300))
            try await withAPIServer(db, limits: limits) { base in
                let port = try #require(base.port)
                var held: [RawConnection] = []
                defer {
                    for connection in held { connection.close() }
                }
                for _ in 0..<100 {
                    let connection = try RawConnection(port: port)
                    held.append(connection)
                    try connection.send(Self.partialHead)
                }
                #expect(try await httpGet(base, "/healthz").status == 200)
                let untouched = held.allSatisfy { $0.isUntouched }
                #expect(untouched, "every half-sent request is still held")
            }
        }
    }

    @Test("beyond the connection cap, connections wait their turn: /healthz answers once held ones time out")
    func beyondTheCap() async throws {
        try await withTestDatabase(.sqlite) { db in
            var limits = Self.shortHeaderTimeout
            limits.maxConnections = 8
            try await withAPIServer(db, limits: limits) { base in
                let port = try #require(base.port)
                var held: [RawConnection] = []
                defer {
                    for connection in held { connection.close() }
                }
                for _ in 0..<24 {
                    let connection = try RawConnection(port: port)
                    held.append(connection)
                    try connection.send(Self.partialHead)
                }
                #expect(try await httpGet(base, "/healthz").status == 200)
                for connection in held {
                    #expect(await connection.waitForClose())
                }
            }
        }
    }

    @Test("a server stopped while connections arrive stops cleanly, however many it had accepted but not served")
    func stopWhileAccepting() async throws {
        try await withTestDatabase(.sqlite) { db in
            for _ in 0..<20 {
                let opening = try await withAPIServer(db) { base in
                    let port = try #require(base.port)
                    // Connections keep coming until the server is gone: some arrive as it stops.
                    let opening = Task.detached {
                        var connections: [RawConnection] = []
                        for _ in 0..<200 {
                            guard let connection = try? RawConnection(port: port) else { break }
                            connections.append(connection)
                        }
                        try? await Task.sleep(for: .milliseconds(20))
                        for connection in connections { connection.close() }
                    }
                    try await Task.sleep(for: .milliseconds(5))
                    return opening
                }
                await opening.value
            }
        }
    }
}

/// A TCP connection to the server under test, written to by hand to send what no HTTP client would. Closed by
/// `close()` (and when released, as a backstop), so no path leaks its descriptor.
final class RawConnection {
    private var descriptor: Int32

    /// Connects to `127.0.0.1:port`; a receive waits at most 30 s, so a test that waits for a close cannot hang.
    init(port: Int) throws {
        descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawConnectionError(operation: "socket", errno: errno) }
        let socket = descriptor
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        guard setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            let error = RawConnectionError(operation: "setsockopt", errno: errno)
            close()
            throw error
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = RawConnectionError(operation: "connect", errno: errno)
            close()
            throw error
        }
    }

    deinit { close() }

    /// Whether the server has neither closed the connection nor sent anything yet, checked without waiting.
    var isUntouched: Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let socket = descriptor
        let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawConnectionError(operation: "send", errno: errno) }
    }

    /// Reads until the server closes the connection: `true` when it does (end of stream or reset), `false` when
    /// 30 s pass first or the socket fails otherwise.
    func waitForClose() async -> Bool {
        let socket = descriptor
        return await Self.blocking {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count > 0 { continue }
                if count == 0 { return true }
                if errno == EINTR { continue }
                return errno == ECONNRESET
            }
        }
    }

    /// Reads up to the end of a response head and returns what was read (less when the connection ends first).
    func readResponseHead() async -> String {
        let socket = descriptor
        return await Self.blocking {
            let end: [UInt8] = Array("\r\n\r\n".utf8)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !received.indices.contains(where: { received[$0...].starts(with: end) }) {
                let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                received += buffer[..<count]
            }
            return String(decoding: received, as: UTF8.self)
        }
    }

    /// Runs a blocking socket call on a thread of its own, so it never holds one of the few threads that tests
    /// and the server's handlers share.
    private static func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

struct RawConnectionError: Error, CustomStringConvertible {
    var operation: String
    var errno: Int32

    var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
