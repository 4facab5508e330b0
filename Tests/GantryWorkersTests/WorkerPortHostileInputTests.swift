import GantryTesting
import GantryWire
import GantryWorkers
import Logging
import Testing

/// Raw sockets against the real worker port, sending what no real worker sends.
@Suite("Hostile input on the worker port", .paced, .timeLimit(.minutes(2)))
struct WorkerPortHostileInputTests {
    static let passwords = ["wk": "pw"]

    // MARK: - Connections that never authenticate

    @Test("a connection that sends half an upgrade request is closed once the upgrade timeout passes")
    func halfUpgradeRequest() async throws {
        let limits = WorkerPortLimits(upgradeTimeout: .milliseconds(300), idleTimeout: .seconds(60))
        try await WorkerPortHarness.withPort(passwords: Self.passwords, limits: limits) { harness in
            let connection = try RawConnection(port: harness.number)
            defer { connection.close() }
            try await connection.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
            #expect(try await connection.waitForClose())
            #expect(await waitUntil { harness.port.unauthenticatedConnections == 0 })
        }
    }

    @Test("a connection that sends nothing is closed once the idle timeout passes")
    func silentConnection() async throws {
        let limits = WorkerPortLimits(upgradeTimeout: .seconds(60), idleTimeout: .milliseconds(200))
        try await WorkerPortHarness.withPort(passwords: Self.passwords, limits: limits) { harness in
            let connection = try RawConnection(port: harness.number)
            defer { connection.close() }
            #expect(try await connection.waitForClose())
            #expect(await waitUntil { harness.port.unauthenticatedConnections == 0 })
        }
    }

    @Test("beyond the cap, a new connection is closed at once; a place freed is taken again")
    func unauthenticatedCap() async throws {
        let limits = WorkerPortLimits(
            upgradeTimeout: .seconds(60), idleTimeout: .seconds(60), maxUnauthenticatedConnections: 2)
        try await WorkerPortHarness.withPort(passwords: Self.passwords, limits: limits) { harness in
            let first = try RawConnection(port: harness.number)
            defer { first.close() }
            let second = try RawConnection(port: harness.number)
            defer { second.close() }
            #expect(await waitUntil { harness.port.unauthenticatedConnections == 2 })

            let shed = try RawConnection(port: harness.number)
            defer { shed.close() }
            #expect(try await shed.waitForClose(), "closed at once, long before any timeout")

            first.close()
            #expect(await waitUntil { harness.port.unauthenticatedConnections == 1 })
            let admitted = try RawConnection(port: harness.number)
            defer { admitted.close() }
            try await admitted.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await admitted.responseStatus() == 400, "not a WebSocket upgrade, but read and answered")
        }
    }

    @Test("an upgraded connection gives its place back and outlives both timeouts")
    func upgradedConnection() async throws {
        // Long enough for the upgrade itself on a loaded machine; slept past below.
        let limits = WorkerPortLimits(upgradeTimeout: .seconds(3), idleTimeout: .seconds(2))
        try await WorkerPortHarness.withPort(passwords: Self.passwords, limits: limits) { harness in
            let connection = try RawConnection(port: harness.number)
            defer { connection.close() }
            #expect(try await connection.upgrade(name: "wk", password: "pw") == 101)
            #expect(await waitUntil { harness.port.unauthenticatedConnections == 0 })
            // Past both timeouts, the connection still answers.
            try await Task.sleep(for: .milliseconds(3500))
            try await connection.write(RawConnection.frame(opcode: 0x9, payload: [1, 2, 3]))
            #expect(try await connection.readFrame(opcode: 0xa)?.payload == [1, 2, 3])
        }
    }

    // MARK: - Messages and frames

    @Test("a message in 3,000 fragments arrives whole")
    func fragmentedMessage() async throws {
        let admin = String(repeating: "an administrator's line, sent in fragments\n", count: 7_000)
        try await WorkerPortHarness.withPort(passwords: Self.passwords) { harness in
            let connection = try RawConnection(port: harness.number)
            defer { connection.close() }
            #expect(try await connection.upgrade(name: "wk", password: "pw") == 101)
            // The attach sequence: `print`, `get_worker_info` (answered in fragments), `set_worker_settings`.
            for _ in 0..<3 {
                let request = try #require(try await connection.readRequest())
                if request.op == "get_worker_info" {
                    let info: MessagePackValue = ["admin": .string(admin), "version": "4.3.0"]
                    let answer = WireMessage.response(WireResponse(seq: request.seq, result: info)).encoded()
                    let frames = RawConnection.fragments(of: answer, size: 100)
                    #expect(answer.count / 100 >= 3_000)
                    try await connection.write(frames)
                } else {
                    let answer = WireMessage.response(WireResponse(seq: request.seq)).encoded()
                    try await connection.write(RawConnection.frame(opcode: 0x2, payload: answer))
                }
            }
            var links = harness.links.makeAsyncIterator()
            let (_, info) = try #require(await links.next())
            #expect(info.values["admin"] == MessagePackValue.string(admin))
            #expect(info.version == "4.3.0")
        }
    }

    /// A frame a worker must not send, what the port answers, and the reason it logs.
    enum Offence: String, CaseIterable, Sendable {
        case unmaskedFrame
        case oversizedFrame
        case oversizedMessage
        case oversizedPing
        case continuationWithoutStart
        case malformedMessage

        /// The port's largest message in these tests.
        static let maxMessageSize = 1024

        var bytes: [UInt8] {
            let limit = Self.maxMessageSize
            switch self {
            case .unmaskedFrame:
                return RawConnection.frame(opcode: 0x2, payload: [0x80], masked: false)
            case .oversizedFrame:
                // The header, length and mask only: the port refuses the frame on its declared length.
                let frame = RawConnection.frame(opcode: 0x2, payload: [UInt8](repeating: 0, count: 2 * limit))
                return Array(frame.prefix(8))
            case .oversizedMessage:
                let half = [UInt8](repeating: 0, count: limit / 2 + 100)
                return RawConnection.frame(opcode: 0x2, fin: false, payload: half)
                    + RawConnection.frame(opcode: 0x0, payload: half)
            case .oversizedPing:
                return Array(RawConnection.frame(opcode: 0x9, payload: [UInt8](repeating: 0, count: 126)).prefix(8))
            case .continuationWithoutStart:
                return RawConnection.frame(opcode: 0x0, payload: [0x80])
            case .malformedMessage:
                return RawConnection.frame(opcode: 0x2, payload: [0xc1])
            }
        }

        /// The status of the port's close frame (RFC 6455 §7.4.1); `nil` for a close frame without one.
        var status: Int? {
            switch self {
            case .unmaskedFrame, .oversizedPing, .continuationWithoutStart: 1002
            case .oversizedFrame, .oversizedMessage: 1009
            case .malformedMessage: nil
            }
        }

        var reason: String {
            switch self {
            case .unmaskedFrame: "an unmasked frame"
            case .oversizedFrame: "a frame larger than \(Self.maxMessageSize) bytes"
            case .oversizedMessage: "message larger than \(Self.maxMessageSize) bytes"
            case .oversizedPing: "a control frame larger than 125 bytes"
            case .continuationWithoutStart: "continuation without a start"
            case .malformedMessage: "protocol violation: malformed message"
            }
        }
    }

    @Test(
        "a frame breaking RFC 6455 or a size limit gets a close frame with its status, and the reason is logged",
        arguments: Offence.allCases)
    func offence(_ offence: Offence) async throws {
        let logs = RecordedLogs()
        try await WorkerPortHarness.withPort(
            passwords: Self.passwords, maxMessageSize: Offence.maxMessageSize, logger: logs.logger
        ) { harness in
            let connection = try RawConnection(port: harness.number)
            defer { connection.close() }
            #expect(try await connection.upgrade(name: "wk", password: "pw") == 101)
            // The port may close before reading all of it.
            try? await connection.write(offence.bytes)
            let close = try await connection.readFrame(opcode: 0x8)
            #expect(close != nil)
            #expect(close?.closeStatus == offence.status)
            #expect(try await connection.waitForClose())

            func closing() -> RecordedLogs.Record? {
                logs.records.first { $0.message == "worker connection closed" }
            }
            #expect(await waitUntil { closing() != nil })
            let record = try #require(closing())
            #expect(record.level == .debug)
            #expect(record.metadata["gantry.worker"] == "wk")
            #expect(record.metadata["gantry.worker.address"]?.hasPrefix("127.0.0.1:") == true)
            #expect(record.metadata["gantry.reason"]?.contains(offence.reason) == true, "\(record.metadata)")
        }
    }
}
