import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import HummingbirdWSClient
import Synchronization
import Testing

@testable import GantryAPI

@Suite("Buildbot's WebSocket on a running server", .paced, .timeLimit(.minutes(3)))
struct BuildbotSocketTests {
    /// An upgrade request for `path`, with `headers` (`Name: value`).
    private func upgrade(
        _ base: URL, _ path: String = "/buildbot/ws", headers: [String] = []
    ) async throws -> RawAnswer {
        try await buildbotUIGet(
            base, path,
            headers: [
                "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version: 13",
            ] + headers)
    }

    @Test("a socket acknowledges a subscription, then sends a new build under each of Buildbot's keys for it")
    func liveEvents() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withBuildbotUIServer(db) { base in
                let port = try #require(base.port)
                let received = try await withDeadline(.seconds(60)) {
                    try await Self.exchange(url: "ws://127.0.0.1:\(port)/buildbot/ws", db: db)
                }
                #expect(
                    received.acks == [
                        #"{"msg":"OK","code":200,"_id":1}"#, #"{"msg":"OK","code":200,"_id":2}"#,
                        #"{"msg":"pong","code":200,"_id":3}"#,
                    ])
                let build = try #require(received.build)
                let keys = received.events.compactMap { try? JSONValue(json: $0)["k"]?.string }
                #expect(keys.first == "builders/\(build.builderid)/builds/\(build.number)/new")
                #expect(keys.dropFirst().first == "builds/\(build.id)/new")
                let payload = try #require(received.events.first.flatMap { try? JSONValue(json: $0)["m"] })
                #expect(payload["buildid"]?.integer == build.id && payload["number"]?.integer == build.number)
            }
        }
    }

    /// What the client of ``liveEvents()`` saw.
    struct Received: Sendable {
        var acks: [String] = []
        var events: [String] = []
        var build: (id: Int, number: Int, builderid: Int)?
    }

    /// Subscribes to builds and to builders' builds, adds a build once both are acknowledged, reads its first two
    /// events, pings, and closes.
    private static func exchange(url: String, db: Database) async throws -> Received {
        let result = ResultBox()
        try await WebSocketClient.connect(url: url, logger: silentLogger) { inbound, outbound, _ in
            var received = Received()
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            func next() async throws -> String? {
                guard case .text(let text)? = try await messages.next() else { return nil }
                return text
            }
            try await outbound.write(.text(#"{"cmd":"startConsuming","path":"builds/*/*","_id":1}"#))
            try await outbound.write(.text(#"{"cmd":"startConsuming","path":"builders/*/builds/*/*","_id":2}"#))
            for _ in 0..<2 { if let ack = try await next() { received.acks.append(ack) } }
            let build = try await startedBuild(db)
            let builderid = try await db.builders.findBuilderId("linux")
            received.build = (build.id, build.number, builderid)
            while received.events.count < 2, let event = try await next() { received.events.append(event) }
            try await outbound.write(.text(#"{"cmd":"ping","_id":3}"#))
            while let reply = try await next() {
                guard reply.contains(#""code""#) else { continue }  // a later event of the build
                received.acks.append(reply)
                break
            }
            result.set(received)
        }
        return result.get()
    }

    @Test("a socket outlives the header deadline of the request that opened it: a ping a second later is answered")
    func outlivesHeadDeadline() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withBuildbotUIServer(db, limits: HTTPConnectionLimitsTests.shortHeaderTimeout) { base in
                let port = try #require(base.port)
                let result = ResultBox()
                _ = try await withDeadline(.seconds(60)) {
                    try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/buildbot/ws", logger: silentLogger) {
                        inbound, outbound, _ in
                        var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                        // Three times the header timeout of 300 ms.
                        try await Task.sleep(for: .milliseconds(900))
                        try await outbound.write(.text(#"{"cmd":"ping","_id":1}"#))
                        if case .text(let reply)? = try await messages.next() {
                            result.set(Received(acks: [reply]))
                        }
                    }
                }
                #expect(result.get().acks == [#"{"msg":"pong","code":200,"_id":1}"#])
            }
        }
    }

    @Test("an upgrade from another site's page, or for another path, is refused; one from the master's own is not")
    func refusals() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withBuildbotUIServer(db) { base in
                let port = try #require(base.port)
                #expect(try await upgrade(base, headers: ["Origin: http://evil.example"]).status == 400)
                #expect(try await upgrade(base, headers: ["Origin: http://localhost:\(port)"]).status == 400)
                #expect(try await upgrade(base, headers: ["Origin: null"]).status == 400)
                #expect(try await upgrade(base, headers: ["Origin: ws://127.0.0.1"]).status == 101, "not a browser")
                #expect(try await upgrade(base, "/buildbot/wss").status == 400)
                #expect(try await upgrade(base, "/api/v2/events").status == 400)
                let own = try await upgrade(base, headers: ["Origin: http://127.0.0.1:\(port)"])
                #expect(own.status == 101 && own.headers["upgrade"]?.lowercased() == "websocket")
                #expect(try await upgrade(base).status == 101)
                // A plain request is still served on a server that upgrades.
                #expect(try await buildbotUIGet(base, "/healthz").status == 200)
            }
        }
    }

    @Test("the socket follows the access rules: with anonymous: none it needs credentials")
    func access() async throws {
        var settings = AuthAPITests.settings
        settings.policy.anonymous = .none
        try await withTestDatabase(.sqlite) { db in
            try await withBuildbotUIServer(db, access: AccessControl(settings)) { (base: URL) async throws in
                #expect(try await upgrade(base).status == 400)
                let wrong = "Authorization: Basic " + Data("alice:nope".utf8).base64EncodedString()
                #expect(try await upgrade(base, headers: [wrong]).status == 400)
                let basic = "Authorization: Basic " + Data("alice:alice-pw".utf8).base64EncodedString()
                #expect(try await upgrade(base, headers: [basic]).status == 101)
            }
        }
    }
}

/// The value a client's handler produced, handed out of it.
private final class ResultBox: Sendable {
    private let value = Mutex<BuildbotSocketTests.Received>(BuildbotSocketTests.Received())

    func set(_ received: BuildbotSocketTests.Received) { value.withLock { $0 = received } }
    func get() -> BuildbotSocketTests.Received { value.withLock { $0 } }
}

/// `body`, or a failure once `limit` has passed.
private func withDeadline<T: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw RawExchangeFailure(description: "no answer within \(limit)")
        }
        defer { group.cancelAll() }
        guard let value = try await group.next() else { throw CancellationError() }
        return value
    }
}
