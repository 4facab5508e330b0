import Foundation
import GantryModel
import GantryTesting
import NIOCore
import NIOPosix
import Testing

@testable import GantryReporters

@Suite(
    "The SMTP client against a scripted server, which says what no real server would", .paced, .serialized,
    .timeLimit(.minutes(1)))
struct SMTPClientTests {
    static let message = MailMessage(
        from: "ci@example.com", to: ["ops@example.com"], subject: "Build failed on linux #12", text: "failed\n",
        date: Date(timeIntervalSince1970: 1_800_000_000), deliveryID: 1)

    /// What the client sends up to its STARTTLS.
    static let upToStartTLS = Array("EHLO [127.0.0.1]\r\nSTARTTLS\r\n".utf8)

    /// Has the client send ``message`` over STARTTLS through a server that answers STARTTLS with `answer` in one
    /// write; returns what the client sent.
    /// - Parameter check: Judges how the sending went; `port` is the server's.
    static func startTLS(
        answer: String, trusting certificates: TestCertificates,
        check: (_ outcome: DeliveryOutcome, _ port: Int) -> Void
    ) async throws -> [UInt8] {
        try await ScriptedSMTPServer.run(answering: ["250-fake-smtp.test\r\n250 STARTTLS\r\n", answer]) { port in
            let settings = SMTPSettings(host: "127.0.0.1", port: port, security: .startTLS, caFile: certificates.ca)
            let outcome = await SMTPClient(settings: settings, timeout: .seconds(10)).send(Self.message, login: nil)
            check(outcome, port)
        }
    }

    @Test(
        "anything after the 220 to STARTTLS, whole replies or part of one, ends the connection before TLS begins",
        .enabled(if: TestCertificates.openssl != nil, "no openssl command to make a CA file with"))
    func dataAfterStartTLS() async throws {
        // A man in the middle's answers to what the client says over TLS (EHLO, AUTH, MAIL, RCPT), or the start of
        // one, sent in plain text with the 220.
        let injections = ["250 fake\r\n", "250-fake\r\n", "250 fa", "235 2.7.0 OK\r\n250 OK\r\n250 OK\r\n354 go\r\n"]
        try await TestCertificates.with { certificates in
            for injected in injections {
                let answer = "220 go ahead\r\n" + injected
                let received = try await Self.startTLS(answer: answer, trusting: certificates) { outcome, port in
                    let reason =
                        "127.0.0.1:\(port) sent data after agreeing to STARTTLS, which someone on the way may have"
                        + " injected; the connection was dropped before TLS"
                    #expect(outcome == .retry(reason: reason), "\(injected.debugDescription)")
                }
                // No TLS handshake began, and no command went after STARTTLS.
                #expect(received == Self.upToStartTLS, "\(injected.debugDescription)")
            }
        }
    }

    @Test(
        "a 220 to STARTTLS with nothing after it is followed by the TLS handshake",
        .enabled(if: TestCertificates.openssl != nil, "no openssl command to make a CA file with"))
    func handshakeAfterStartTLS() async throws {
        try await TestCertificates.with { certificates in
            let received = try await Self.startTLS(answer: "220 go ahead\r\n", trusting: certificates) { outcome, _ in
                // The scripted server hangs up at the handshake.
                guard case .retry = outcome else {
                    Issue.record("not retried: \(outcome)")
                    return
                }
            }
            // 0x16: a TLS record of the handshake, the client's hello.
            #expect(received.starts(with: Self.upToStartTLS + [0x16]))
        }
    }

    @Test("an address that could split a command line or a header fails the mail before anything is sent")
    func addressInjection() async throws {
        // Nothing listens there: a client that connected would have the mail retried, not failed.
        let settings = SMTPSettings(host: "127.0.0.1", port: try freeLocalPort(), security: .none)
        let addresses = [
            "ci@example.com\r\nRCPT TO:<all@example.com>", "ci@example.com\nDATA", "ci@example.com\r",
            "ci@example.com\u{2028}Bcc: all@example.com", "ci@example.com>", "ci @example.com",
        ]
        for address in addresses {
            var fromIt = Self.message
            fromIt.from = address
            var toIt = Self.message
            toIt.to = ["ops@example.com", address]
            for message in [fromIt, toIt] {
                #expect(
                    await SMTPClient(settings: settings).send(message, login: nil)
                        == .failed(reason: "'\(address)' is not a mail address"), "\(address.debugDescription)")
            }
        }
    }
}

/// An SMTP server on a loopback port that says what it is told: it greets, answers each line the client sends
/// with the next of its answers, each in one write (so it arrives in one read), and hangs up at the first bytes
/// that come once every answer has gone.
private enum ScriptedSMTPServer {
    /// Runs `client` with the server's port while the server answers one connection.
    /// - Returns: What the client sent before it or the server closed the connection.
    static func run(answering answers: [String], client: (_ port: Int) async throws -> Void) async throws -> [UInt8] {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = listener.channel.localAddress?.port ?? 0
        async let received: [UInt8] = listener.executeThenClose { connections in
            for try await connection in connections {
                return await Self.converse(connection, answers: answers)
            }
            return []
        }
        try await client(port)
        return try await received
    }

    private static func converse(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, answers: [String]) async
        -> [UInt8]
    {
        var received: [UInt8] = []
        // A client that resets the connection is done as one that closes it; what it sent is kept.
        try? await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "220 fake-smtp.test ESMTP\r\n"))
            var unsent = answers[...]
            var answered = 0
            for try await bytes in inbound {
                let isOver = unsent.isEmpty
                received += bytes.readableBytesView
                if isOver { return }
                let lines = received.filter { $0 == UInt8(ascii: "\n") }.count
                while answered < lines, let answer = unsent.popFirst() {
                    answered += 1
                    try await outbound.write(ByteBuffer(string: answer))
                }
            }
        }
        return received
    }
}
