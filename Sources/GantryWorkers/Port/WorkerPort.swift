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
public struct WorkerPort: Sendable {
    public let host: String
    public let port: Int
    /// The configured password of a worker name, `nil` for a name that is not configured.
    let password: @Sendable (String) -> String?
    /// The largest message accepted (a file upload chunk is 256 KiB by default).
    let maxMessageSize: Int
    let logger: Logger
    private let refusals = Refusals()

    public init(
        host: String,
        port: Int,
        maxMessageSize: Int = 16 << 20,
        logger: Logger,
        password: @escaping @Sendable (String) -> String?
    ) {
        self.host = host
        self.port = port
        self.maxMessageSize = maxMessageSize
        self.logger = logger
        self.password = password
    }

    /// How many upgrade requests were refused so far.
    public var refusedUpgrades: Int { refusals.count.load(ordering: .relaxed) }

    private enum Upgrade: Sendable {
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, name: String)
        case refused(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Refusal?)
    }

    /// Accepts connections until cancelled, running `onLink` for each authenticated one while it lives; the
    /// link is lost (and `onLink` cancelled) when the connection ends.
    /// - Parameter onBound: Told the port actually bound (useful with port 0).
    public func run(
        onBound: @Sendable (Int) async -> Void = { _ in },
        onLink: @escaping @Sendable (WorkerLink) async -> Void
    ) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try configure(channel) }
            }
        await onBound(server.channel.localAddress?.port ?? port)
        logger.info(
            "worker port listening",
            metadata: ["gantry.worker_port": "\(host):\(server.channel.localAddress?.port ?? port)"])
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await upgrade in inbound {
                    group.addTask { await handle(upgrade, onLink: onLink) }
                }
            }
        }
    }

    /// Why an upgrade was refused; decided when the request head is read, answered once the upgrade is off.
    private enum Refusal: Sendable {
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
                    let webSocket = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                        wrappingChannelSynchronously: channel)
                    return Upgrade.webSocket(webSocket, name: authenticated(head) ?? "")
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
        return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
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

    private func handle(_ upgrade: EventLoopFuture<Upgrade>, onLink: @escaping @Sendable (WorkerLink) async -> Void)
        async
    {
        do {
            switch try await upgrade.get() {
            case .webSocket(let channel, let name):
                try await serve(channel, name: name, onLink: onLink)
            case .refused(let channel, let refusal):
                try await refuse(channel, refusal)
            }
        } catch {
            logger.debug("worker connection ended with an error", metadata: ["gantry.error": "\(error)"])
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
            logger.warning("worker authentication failed", metadata: ["gantry.worker": "\(name)"])
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

    /// Runs one authenticated connection: frames in, the link's messages out, `onLink` alongside.
    private func serve(
        _ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>,
        name: String,
        onLink: @escaping @Sendable (WorkerLink) async -> Void
    ) async throws {
        try await channel.executeThenClose { inbound, outbound in
            let (queue, enqueue) = AsyncStream<WebSocketTransport.Outgoing>.makeStream()
            let link = WorkerLink(name: name, transport: WebSocketTransport(queue: enqueue), logger: logger)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await onLink(link) }
                async let written: Void = { try? await WebSocketTransport.write(queue, to: outbound) }()
                let reason = await read(inbound, into: link, replies: enqueue)
                await link.lost(reason)
                // What is queued (a close, a pong) still goes out before the connection is closed.
                enqueue.finish()
                await written
                group.cancelAll()
            }
        }
    }

    /// Feeds binary messages to the link until the connection ends; returns why it ended.
    private func read(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        into link: WorkerLink,
        replies: AsyncStream<WebSocketTransport.Outgoing>.Continuation
    ) async -> String {
        var assembler = MessageAssembler(maxMessageSize: maxMessageSize)
        do {
            for try await frame in inbound {
                switch frame.opcode {
                case .binary, .continuation:
                    let message: [UInt8]?
                    do {
                        message = try assembler.add(
                            Array(frame.unmaskedData.readableBytesView), continuation: frame.opcode == .continuation,
                            fin: frame.fin)
                    } catch {
                        throw WorkerLinkError.protocolViolation(error.description)
                    }
                    if let message { try await link.receive(message) }
                case .text:
                    logger.info("text frame from worker ignored", metadata: ["gantry.worker": "\(link.name)"])
                case .ping:
                    replies.yield(.pong(frame.unmaskedData))
                case .connectionClose:
                    replies.yield(.close)
                    return "the worker closed the connection"
                default:
                    continue
                }
            }
            return "the worker disconnected"
        } catch let violation as WorkerLinkError {
            logger.warning(
                "closing worker connection",
                metadata: ["gantry.worker": "\(link.name)", "gantry.reason": "\(violation)"])
            replies.yield(.close)
            return violation.description
        } catch {
            return "the connection failed: \(error)"
        }
    }

    /// The count of refused upgrades, shared by copies of the port.
    private final class Refusals: Sendable {
        let count = Atomic<Int>(0)
    }
}
