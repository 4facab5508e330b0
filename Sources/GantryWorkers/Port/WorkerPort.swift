import GantryModel
public import GantryTLS
import GantryWire
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The port workers connect to: a WebSocket endpoint (any path) that authenticates the upgrade with HTTP
/// Basic credentials and turns every accepted connection into a ``WorkerLink``.
///
/// Built on SwiftNIO's typed upgrader rather than a web framework's WebSocket route, because the protocol
/// needs exact answers to a refused upgrade: 401 for missing or wrong credentials, 400 for a malformed
/// header, each a bare status and a close. Passwords are compared in constant time and never logged.
///
/// Hostile input is bounded: connections that have not upgraded are limited in number and time
/// (``WorkerPortLimits``), frames and messages in size, and a connection that breaks RFC 6455 is closed with
/// the status the RFC asks for. Why a connection ended is logged at debug.
///
/// With a ``TLSServerContext``, every connection speaks TLS from its first byte (Buildbot's `--use-tls`); the
/// upgrade deadline covers the handshake, so a client that connects and never completes one is closed by it.
public struct WorkerPort: Sendable {
    public let host: String
    public let port: Int
    /// The configured password of a worker name, `nil` for a name that is not configured.
    let password: @Sendable (String) -> String?
    /// The largest message accepted (a file upload chunk is 256 KiB by default).
    let maxMessageSize: Int
    let limits: WorkerPortLimits
    /// The certificate presented to workers (and the CA their own must come from); plain TCP when `nil`.
    let tls: TLSServerContext?
    let logger: Logger
    private let refusals = Refusals()
    private let unauthenticated: UnauthenticatedSlots

    public init(
        host: String,
        port: Int,
        maxMessageSize: Int = 16 << 20,
        limits: WorkerPortLimits = WorkerPortLimits(),
        tls: TLSServerContext? = nil,
        logger: Logger,
        password: @escaping @Sendable (String) -> String?
    ) {
        self.host = host
        self.port = port
        self.maxMessageSize = maxMessageSize
        self.limits = limits
        self.tls = tls
        self.logger = logger
        self.password = password
        unauthenticated = UnauthenticatedSlots(limit: limits.maxUnauthenticatedConnections)
    }

    /// How many upgrade requests were refused so far.
    public var refusedUpgrades: Int { refusals.count.load(ordering: .relaxed) }

    /// How many connections are open without having upgraded.
    public var unauthenticatedConnections: Int { unauthenticated.count }

    fileprivate enum Upgrade: Sendable {
        case webSocket(
            NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, name: String, address: String,
            frameErrors: FrameErrorRecorder)
        case refused(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Refusal?)
        /// Closed at once: the port had as many unauthenticated connections as it allows.
        case shed
    }

    /// The port bound, not yet accepting: a master binds it before it builds what depends on its number (pool
    /// workers connect to it), then serves it.
    public struct Bound: Sendable {
        /// The port actually bound (useful with port 0).
        public let port: Int
        fileprivate let owner: WorkerPort
        fileprivate let server: NIOAsyncChannel<EventLoopFuture<Upgrade>, Never>

        /// Accepts connections until cancelled, running `onLink` for each authenticated one. `onLink` may return
        /// while the connection lives on (nothing then waits on an idle connection but its read); when the
        /// connection ends, the link is lost, `onLink` is cancelled if it still runs, and `onEnd` runs after it.
        public func serve(
            onLink: @escaping @Sendable (WorkerLink) async -> Void,
            onEnd: @escaping @Sendable (WorkerLink) async -> Void = { _ in }
        ) async throws {
            owner.logger.info("worker port listening", metadata: [LogKey.workerPort: "\(owner.host):\(port)"])
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await upgrade in inbound {
                        group.addTask { await owner.handle(upgrade, onLink: onLink, onEnd: onEnd) }
                    }
                }
            }
        }
    }

    /// Binds the port.
    /// - Throws: `GantryError.addressUnavailable` naming the address when it cannot listen there.
    public func bind() async throws -> Bound {
        do {
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try configure(channel) }
                }
            return Bound(port: server.channel.localAddress?.port ?? port, owner: self, server: server)
        } catch let error as IOError {
            throw GantryError(
                .addressUnavailable, "cannot listen for workers on \(host):\(port): \(error.description)")
        }
    }

    /// Binds the port and accepts connections until cancelled (see ``Bound/serve(onLink:onEnd:)``); for tests, which
    /// need no work between the two.
    /// - Parameter onBound: Told the port actually bound (useful with port 0).
    package func run(
        onBound: @Sendable (Int) async -> Void = { _ in },
        onEnd: @escaping @Sendable (WorkerLink) async -> Void = { _ in },
        onLink: @escaping @Sendable (WorkerLink) async -> Void
    ) async throws {
        let bound = try await bind()
        await onBound(bound.port)
        try await bound.serve(onLink: onLink, onEnd: onEnd)
    }

    /// Why an upgrade was refused; decided when the request head is read, answered once the upgrade is off.
    fileprivate enum Refusal: Sendable {
        case noCredentials
        case malformedCredentials
        case wrongCredentials(name: String)

        var status: HTTPResponseStatus {
            if case .malformedCredentials = self { .badRequest } else { .unauthorized }
        }

        init?(_ head: HTTPRequestHead, authenticated: Bool) {
            switch UpgradeAuthorization(header: head.headers.first(name: "authorization")) {
            case .missing: self = .noCredentials
            case .malformed: self = .malformedCredentials
            case .credentials(let name, _) where !authenticated: self = .wrongCredentials(name: name)
            case .credentials: return nil
            }
        }
    }

    private func configure(_ channel: any Channel) throws -> EventLoopFuture<Upgrade> {
        guard unauthenticated.take() else {
            logger.debug(
                "closing worker connection",
                metadata: [
                    LogKey.workerAddress: "\(Self.describe(channel.remoteAddress))",
                    LogKey.reason: "already \(unauthenticated.limit) connections that have not upgraded",
                ])
            try channel.pipeline.syncOperations.addHandler(CloseWhenActive())
            return channel.eventLoop.makeSucceededFuture(.shed)
        }
        // Read now: once the connection is closed, the channel no longer knows it.
        let address = Self.describe(channel.remoteAddress)
        // Added first, so that from here on the place taken is given back however the connection ends.
        try channel.pipeline.syncOperations.addHandler(
            UpgradeDeadline(limits: limits, slots: unauthenticated, logger: logger), name: UpgradeDeadline.name,
            position: .first)
        // Behind the deadline, which sees the handshake's bytes as any others: one never finished is closed by it.
        if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeHandler()) }
        let refusal = Mutex<Refusal?>(nil)
        let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
            maxFrameSize: maxMessageSize,
            shouldUpgrade: { [self] channel, head in
                let name = authenticated(head)
                refusal.withLock { $0 = Refusal(head, authenticated: name != nil) }
                return channel.eventLoop.makeSucceededFuture(name != nil ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { [self] channel, head in
                channel.eventLoop.makeCompletedFuture {
                    // Authenticated: the protocol's keepalive watches the connection from now on.
                    channel.pipeline.syncOperations.removeHandler(name: UpgradeDeadline.name, promise: nil)
                    let frameErrors = FrameErrorRecorder()
                    let decoder = try channel.pipeline.syncOperations.handler(
                        type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                    try channel.pipeline.syncOperations.addHandler(frameErrors, position: .after(decoder))
                    let webSocket = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                        wrappingChannelSynchronously: channel)
                    return Upgrade.webSocket(
                        webSocket, name: authenticated(head) ?? "", address: address, frameErrors: frameErrors)
                }
            }
        )
        let configuration = NIOTypedHTTPServerUpgradeConfiguration(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    Upgrade.refused(
                        try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel),
                        refusal.withLock { $0 })
                }
            }
        )
        var pipeline = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: configuration)
        // A refused upgrade reaches the pipeline as an error; it is answered in `refuse`, not with NIO's 400.
        pipeline.enableErrorHandling = false
        let upgrade = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
        // Nothing else would close a connection whose upgrade failed (a request out of order, say).
        upgrade.whenFailure { _ in channel.close(promise: nil) }
        return upgrade
    }

    /// The worker name whose credentials the request carries, if they are right.
    private func authenticated(_ head: HTTPRequestHead) -> String? {
        guard
            case .credentials(let name, let given) = UpgradeAuthorization(
                header: head.headers.first(name: "authorization"))
        else { return nil }
        // An unknown name costs the same comparison as a known one.
        let expected = password(name)
        return constantTimeEqual(given, expected ?? given + "\u{0}") && expected != nil ? name : nil
    }

    private func handle(
        _ upgrade: EventLoopFuture<Upgrade>,
        onLink: @escaping @Sendable (WorkerLink) async -> Void,
        onEnd: @escaping @Sendable (WorkerLink) async -> Void
    ) async {
        do {
            switch try await upgrade.get() {
            case .webSocket(let channel, let name, let address, let frameErrors):
                try await serve(
                    channel, name: name, address: address, frameErrors: frameErrors, onLink: onLink, onEnd: onEnd)
            case .refused(let channel, let refusal):
                try await refuse(channel, refusal)
            case .shed:
                return
            }
        } catch {
            logger.debug("worker connection ended with an error", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Answers a request that was not upgraded: 401 without or with wrong credentials, 400 for malformed ones
    /// or a request that is not a WebSocket upgrade; a bare status, then the connection closes.
    private func refuse(
        _ channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        _ refusal: Refusal?
    ) async throws {
        refusals.count.add(1, ordering: .relaxed)
        switch refusal {
        case .noCredentials?: logger.warning("worker connection without credentials refused")
        case .malformedCredentials?: logger.warning("worker connection with malformed credentials refused")
        case .wrongCredentials(let name)?:
            logger.warning("worker authentication failed", metadata: [LogKey.worker: "\(name)"])
        case nil: logger.warning("a connection to the worker port that is not a WebSocket upgrade was refused")
        }
        try await channel.executeThenClose { _, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "0")
            headers.add(name: "Connection", value: "close")
            let status = refusal?.status ?? .badRequest
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            try await outbound.write(.end(nil))
        }
    }

    /// Runs one authenticated connection: frames in, the link's messages out, `onLink` alongside until it returns
    /// or the connection ends, then `onEnd`.
    private func serve(
        _ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>,
        name: String,
        address: String,
        frameErrors: FrameErrorRecorder,
        onLink: @escaping @Sendable (WorkerLink) async -> Void,
        onEnd: @escaping @Sendable (WorkerLink) async -> Void
    ) async throws {
        try await channel.executeThenClose { inbound, _ in
            let transport = WebSocketTransport(channel: channel.channel)
            let link = WorkerLink(name: name, transport: transport, logger: logger)
            await withDiscardingTaskGroup { group in
                group.addTask { await onLink(link) }
                let reason = await read(inbound, into: link, transport: transport, frameErrors: frameErrors)
                logger.debug(
                    "worker connection closed",
                    metadata: [
                        LogKey.worker: "\(name)", LogKey.workerAddress: "\(address)", LogKey.reason: "\(reason)",
                    ])
                await link.lost(reason)
                group.cancelAll()
            }
            await onEnd(link)
            // What was written (a close, a pong) still goes out before the connection is closed.
            await transport.drained()
        }
    }

    /// Feeds binary messages to the link until the connection ends; returns why it ended.
    private func read(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        into link: WorkerLink,
        transport: WebSocketTransport,
        frameErrors: FrameErrorRecorder
    ) async -> String {
        var assembler = MessageAssembler(maxMessageSize: maxMessageSize)
        do {
            for try await frame in inbound {
                // RFC 6455 §5.1: a client masks every frame, and a server closes with 1002 on one that is not.
                guard frame.maskKey != nil else {
                    transport.closeFrame(status: .protocolError)
                    return "an unmasked frame"
                }
                switch frame.opcode {
                case .binary, .continuation:
                    let message: [UInt8]?
                    do {
                        message = try assembler.add(
                            frame.unmaskedData.readableBytesView, continuation: frame.opcode == .continuation,
                            fin: frame.fin)
                    } catch {
                        transport.closeFrame(status: Self.status(of: error))
                        return error.description
                    }
                    if let message { try await link.receive(message) }
                case .text:
                    logger.info("text frame from worker ignored", metadata: [LogKey.worker: "\(link.name)"])
                case .ping:
                    transport.pong(frame.unmaskedData)
                case .connectionClose:
                    transport.closeFrame(status: nil)
                    return "the worker closed the connection"
                default:
                    continue
                }
            }
            return frameErrors.error.map(reason) ?? "the worker disconnected"
        } catch let violation as WorkerLinkError {
            transport.closeFrame(status: nil)
            return violation.description
        } catch let error as NIOWebSocketError {
            // NIO's frame decoder refused the frame; its error handler already sent the close frame.
            return reason(error)
        } catch {
            // The reason reaches the steps the worker was running, whose logs users read; NIO's error stays here.
            logger.debug(
                "worker connection failed", metadata: [LogKey.worker: "\(link.name)", LogKey.error: "\(error)"])
            return "the connection failed"
        }
    }

    /// The close status for a message the assembler refused.
    private static func status(of violation: MessageAssembler.Violation) -> WebSocketErrorCode {
        switch violation {
        case .continuationWithoutStart: .protocolError
        case .tooLarge: .messageTooLarge
        }
    }

    /// Why NIO's frame decoder refused a frame (it closes with 1009 or 1002).
    private func reason(_ error: NIOWebSocketError) -> String {
        switch error {
        case .invalidFrameLength: "a frame larger than \(maxMessageSize) bytes"
        case .multiByteControlFrameLength: "a control frame larger than 125 bytes"
        case .fragmentedControlFrame: "a fragmented control frame"
        }
    }

    /// A peer's address for the logs, `host:port`.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address, let host = address.ipAddress, let port = address.port else { return "unknown" }
        if case .v6 = address { return "[\(host)]:\(port)" }
        return "\(host):\(port)"
    }

    /// The count of refused upgrades, shared by copies of the port.
    private final class Refusals: Sendable {
        let count = Atomic<Int>(0)
    }
}
