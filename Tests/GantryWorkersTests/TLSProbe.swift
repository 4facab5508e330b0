import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A TLS client of the worker port, for what tests need to see of it: whether a handshake goes through (trusting
/// one CA, with or without a client certificate), and the status of a WebSocket upgrade sent over it.
enum TLSProbe {
    /// How an attempt ended.
    enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// The status of the answer's head.
        case status(Int)
        /// The connection failed or ended without an answer (a handshake refused, by either side).
        case failed(String)

        var description: String {
            switch self {
            case .status(let status): "status \(status)"
            case .failed(let reason): "failed: \(reason)"
            }
        }

        var failed: Bool {
            if case .failed = self { true } else { false }
        }
    }

    /// Connects to `127.0.0.1:port` over TLS, checking the port's certificate against `ca` and the name
    /// `localhost`, presenting `certificate` and `key` when given, and sends a WebSocket upgrade with Basic
    /// credentials.
    static func upgrade(
        port: Int, trusting ca: String, certificate: String? = nil, key: String? = nil, name: String = "wk",
        password: String = "pw"
    ) async -> Outcome {
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            if let certificate, let key {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            let context = try NIOSSLContext(configuration: configuration)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let credentials = Data("\(name):\(password)".utf8).base64EncodedString()
            let request =
                "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Authorization: Basic \(credentials)\r\n\r\n"
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: request))
                var received = ""
                for try await buffer in inbound {
                    received += String(buffer: buffer)
                    guard received.contains("\r\n\r\n") else { continue }
                    let statusLine = received.split(separator: " ", maxSplits: 2)
                    guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                        return Outcome.failed(received)
                    }
                    return Outcome.status(status)
                }
                return Outcome.failed("closed without an answer")
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
