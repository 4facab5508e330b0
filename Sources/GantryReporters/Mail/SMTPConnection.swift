import Foundation
import NIOCore
import NIOSSL

/// One connection to an SMTP server, as the client speaks it: a command out and its reply in, each exchange
/// given at most the timeout, so a server that stops answering ends the attempt instead of holding it forever.
struct SMTPConnection {
    private var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    private let commands: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let timeout: Duration
    /// The replies read so far; at STARTTLS, ``SMTPReplyHandler`` must have passed on no more.
    private var repliesRead = 0

    init(
        replies: NIOAsyncChannelInboundStream<SMTPReply>, commands: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel, timeout: Duration
    ) {
        self.replies = replies.makeAsyncIterator()
        self.commands = commands
        self.channel = channel
        self.timeout = timeout
    }

    /// Sends `text` (nothing for the server's greeting) and waits for the reply.
    /// - Parameters:
    ///   - step: What the reply answers, as reasons name it (`RCPT TO:<ada@example.com>`); never a secret.
    ///   - expected: The codes the conversation goes on from; any other is ``SMTPFailure/refused(_:step:)``.
    @discardableResult
    mutating func exchange(_ text: String?, step: String, expecting expected: Set<Int>) async throws -> SMTPReply {
        let channel = self.channel
        let timeout = self.timeout
        // Failing the inbound stream ends the wait below with the reason.
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            channel.pipeline.fireErrorCaught(SMTPFailure.noReply(step: step, after: timeout))
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        if let text { try await commands.write(ByteBuffer(string: text)) }
        guard let reply = try await replies.next() else { throw SMTPFailure.closed(step: step) }
        repliesRead += 1
        guard expected.contains(reply.code) else { throw SMTPFailure.refused(reply, step: step) }
        return reply
    }

    /// Sends the command `line` (CRLF added) and waits for its reply.
    @discardableResult
    mutating func command(_ line: String, step: String, expecting expected: Set<Int>) async throws -> SMTPReply {
        try await exchange(line + "\r\n", step: step, expecting: expected)
    }

    /// EHLO; the extensions the server announces.
    mutating func hello(as name: String) async throws -> [String: [String]] {
        try await command("EHLO \(name)", step: "EHLO", expecting: [250]).extensions
    }

    /// Puts TLS under the connection once the server has said 220 to STARTTLS: the next command waits for the
    /// handshake, in which the server's certificate is checked.
    /// - Throws: ``SMTPFailure/dataAfterStartTLS`` when anything came after the 220, whole replies or part of one:
    ///   it came in plain text, and read after the handshake it would pass for the server's answers over TLS.
    func startTLS(context: NIOSSLContext, serverHostname: String?) async throws {
        let channel = self.channel
        let repliesRead = self.repliesRead
        try await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            // Checked in the turn of the event loop that puts TLS first: every byte read later goes through TLS,
            // so the replies after the handshake start from nothing.
            let received = try pipeline.handler(type: SMTPReplyHandler.self)
            guard received.repliesPassedOn == repliesRead, !received.holdsBytes else {
                throw SMTPFailure.dataAfterStartTLS
            }
            try pipeline.addHandler(
                NIOSSLClientHandler(context: context, serverHostname: serverHostname), position: .first)
        }.get()
    }

    /// Logs in with PLAIN, or LOGIN when the server offers only that.
    /// - Parameter offered: The mechanisms of the server's AUTH extension.
    mutating func logIn(user: String, password: String, offered: [String]) async throws {
        if offered.contains("PLAIN") {
            try await command("AUTH PLAIN " + Self.base64("\0\(user)\0\(password)"), step: "AUTH", expecting: [235])
        } else if offered.contains("LOGIN") {
            try await command("AUTH LOGIN", step: "AUTH", expecting: [334])
            try await command(Self.base64(user), step: "AUTH (user)", expecting: [334])
            try await command(Self.base64(password), step: "AUTH (password)", expecting: [235])
        } else {
            throw SMTPFailure.noLoginMechanism(offered: offered)
        }
    }

    /// DATA: sends `message` (CRLF line ends) dot-stuffed and ended by a lone `.`, and waits for the server to
    /// take it. Once the whole mail has gone out, a missing confirmation is ``SMTPFailure/unconfirmed(reason:)``:
    /// the mail may have arrived.
    mutating func send(message: String) async throws {
        try await command("DATA", step: "DATA", expecting: [354])
        let step = "the end of the message"
        do {
            try await exchange(Self.dotStuffed(message) + ".\r\n", step: step, expecting: [250])
        } catch SMTPFailure.refused(let reply, _) {
            // The server said it did not take the mail: trying again cannot make two.
            throw SMTPFailure.refused(reply, step: step)
        } catch SMTPFailure.noReply(_, let after) {
            throw SMTPFailure.unconfirmed(reason: "no reply within \(after)")
        } catch SMTPFailure.closed {
            throw SMTPFailure.unconfirmed(reason: "the connection closed")
        } catch {
            throw SMTPFailure.unconfirmed(reason: "\(error)")
        }
    }

    /// `text` with a dot added before each line that starts with one (RFC 5321 §4.5.2), so no line of it ends
    /// the data early; ended by CRLF.
    static func dotStuffed(_ text: String) -> String {
        var stuffed = text.replacingOccurrences(of: "\r\n.", with: "\r\n..")
        if stuffed.hasPrefix(".") { stuffed = "." + stuffed }
        if !stuffed.hasSuffix("\r\n") { stuffed += "\r\n" }
        return stuffed
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
