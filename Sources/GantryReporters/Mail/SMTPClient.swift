import GantryModel
import NIOCore
import NIOPosix
import NIOSSL

/// Sends a mail through the SMTP server of a mail reporter's settings: over TLS from the first byte, or upgraded
/// by STARTTLS before anything else is said, or plain; logged in with PLAIN (or LOGIN) when a user is set; and
/// judged in the outbox's terms (see ``SMTPFailure/outcome(server:)``).
struct SMTPClient: Sendable {
    /// A user and the password read from its secret just before sending.
    struct Login: Sendable {
        var user: String
        var password: String
    }

    var settings: SMTPSettings
    /// How long connecting, and each exchange with the server, may take.
    var timeout: Duration

    init(settings: SMTPSettings, timeout: Duration = .seconds(30)) {
        self.settings = settings
        self.timeout = timeout
    }

    /// `host:port`, as reasons name the server.
    var server: String { "\(settings.host):\(settings.port)" }

    /// Sends `message` to its recipients; `.delivered(status: 250)` once the server has taken it.
    func send(_ message: MailMessage, login: Login?) async -> DeliveryOutcome {
        do {
            for address in [message.from] + message.to where !Self.isSafeAddress(address) {
                throw SMTPFailure.invalidAddress(address)
            }
            let tls = try settings.security == .none ? nil : makeTLSContext()
            let channel = try await connect(tls: settings.security == .tls ? tls : nil)
            try await channel.executeThenClose { replies, commands in
                try await converse(
                    replies: replies, commands: commands, channel: channel.channel, message: message, login: login,
                    tls: tls)
            }
            return .delivered(status: 250)
        } catch let failure as SMTPFailure {
            return failure.outcome(server: server)
        } catch {
            return .retry(reason: "cannot talk to \(server): \(error)")
        }
    }

    /// The conversation, from the greeting to QUIT.
    private func converse(
        replies: NIOAsyncChannelInboundStream<SMTPReply>, commands: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel, message: MailMessage, login: Login?, tls: NIOSSLContext?
    ) async throws {
        var connection = SMTPConnection(replies: replies, commands: commands, channel: channel, timeout: timeout)
        try await connection.exchange(nil, step: "the greeting", expecting: [220])
        let name = Self.helloName(channel.localAddress)
        var extensions = try await connection.hello(as: name)
        var isProtected = settings.security == .tls
        if settings.security == .startTLS, let tls {
            guard extensions["STARTTLS"] != nil else { throw SMTPFailure.startTLSNotOffered }
            try await connection.command("STARTTLS", step: "STARTTLS", expecting: [220])
            try await connection.startTLS(context: tls, serverHostname: serverHostname)
            // RFC 3207: what the server said before TLS no longer counts.
            extensions = try await connection.hello(as: name)
            isProtected = true
        }
        if let login {
            guard isProtected || Self.isLoopback(channel.remoteAddress) else { throw SMTPFailure.unprotectedLogin }
            try await connection.logIn(user: login.user, password: login.password, offered: extensions["AUTH"] ?? [])
        }
        try await connection.command("MAIL FROM:<\(message.from)>", step: "MAIL FROM", expecting: [250])
        for recipient in message.to {
            // One refused recipient stops the mail for all, so a retry never sends anyone a second copy.
            try await connection.command(
                "RCPT TO:<\(recipient)>", step: "RCPT TO:<\(recipient)>", expecting: [250, 251])
        }
        try await connection.send(message: message.rendered)
        // The server has the mail: how the goodbye goes changes nothing.
        _ = try? await connection.command("QUIT", step: "QUIT", expecting: [221])
    }

    private func connect(tls: NIOSSLContext?) async throws -> NIOAsyncChannel<SMTPReply, ByteBuffer> {
        let serverHostname = self.serverHostname
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler())
                    return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// The server's certificate is checked against the system's CAs, or those of `caFile`.
    private func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = settings.caFile {
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(caFile), !certificates.isEmpty else {
                throw SMTPFailure.tlsSetup("the CA file '\(caFile)' holds no PEM certificate that can be read")
            }
            configuration.trustRoots = .certificates(certificates)
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SMTPFailure.tlsSetup("\(error)")
        }
    }

    /// The name the certificate must bear; nil for an address, which NIOSSL checks against the address
    /// connected to.
    private var serverHostname: String? {
        (try? SocketAddress(ipAddress: settings.host, port: 0)) == nil ? settings.host : nil
    }

    /// The EHLO name: the address literal of this end of the connection (RFC 5321 §4.1.3), which needs no name
    /// lookup and is true.
    private static func helloName(_ address: SocketAddress?) -> String {
        guard let ip = address?.ipAddress else { return "localhost" }
        return ip.contains(":") ? "[IPv6:\(ip)]" : "[\(ip)]"
    }

    /// Whether the connection stays on this machine, where a password needs no TLS.
    private static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    /// Whether `address` fits between `<` and `>` of a command without ending or splitting it.
    private static func isSafeAddress(_ address: String) -> Bool {
        !address.isEmpty && !address.contains { $0.isNewline || $0.isWhitespace || $0 == "<" || $0 == ">" }
    }
}
