import GantryWire
public import Logging
import NIOCore
import NIOWebSocket
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Gantry's own worker: connects to a master's worker port (Buildbot's msgpack protocol, so a Buildbot 4.3
/// master takes it too), serves the master until the connection ends, and connects again with backoff (1 s,
/// doubling up to a minute, back to 1 s after a connection that ran a command or lasted ``settled``). It ends
/// when the master asks it to shut down or its task is cancelled; either way the commands still running are
/// interrupted and waited for, so no process it started survives it.
public struct NativeWorker: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var name: String
    public var password: String
    public var basedir: String
    /// TLS to the worker port (its certificates read already); plain TCP when `nil`.
    public var tls: WorkerTLS?
    /// The largest frame, and the largest message once its frames are joined.
    public var maxFrameSize = 16 << 20
    /// Stop when the process that started the worker is gone (a pool's master that died), so a pool worker
    /// never outlives its master.
    public var exitWithParent = false
    let logger: Logger

    public init(host: String, port: Int, name: String, password: String, basedir: String, logger: Logger) {
        self.host = host
        self.port = port
        self.name = name
        self.password = password
        self.basedir = basedir
        var logger = logger
        logger[metadataKey: "gantry.worker"] = "\(name)"
        self.logger = logger
    }

    /// Never the password.
    public var description: String { "NativeWorker(\(name) → \(host):\(port), basedir \(basedir))" }

    /// How long a connection must last for the next retry to start again at 1 s. A master refusing the worker
    /// (another of its name is connected) accepts the connection, then closes it at once: that must keep
    /// backing off rather than reconnect every second.
    static let settled = Duration.seconds(30)

    private enum Outgoing: Sendable {
        case message([UInt8])
        case pong(ByteBuffer)
        case close
    }

    /// How a connection ended, and whether the master used it.
    private struct Ending: Sendable {
        var reason: String
        var requests: Int
        var commands: Int
    }

    /// Serves masters until shut down or cancelled (or, with `exitWithParent`, until its parent is gone).
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serveMasters() }
            if exitWithParent {
                let parent = getppid()
                group.addTask {
                    while getppid() == parent { try await Task.sleep(for: .milliseconds(500)) }
                    logger.warning("the process that started this worker is gone; stopping")
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func serveMasters() async throws {
        let environment = WorkerEnvironment(basedir: basedir)
        let shutDown = Atomic<Bool>(false)
        var delay = Duration.seconds(1)
        while !Task.isCancelled && !shutDown.load(ordering: .relaxed) {
            do {
                let channel = try await MasterConnection.connect(
                    host: host, port: port, name: name, password: password, maxFrameSize: maxFrameSize, tls: tls)
                logger.info("connected to the master", metadata: ["gantry.master": "\(host):\(port)"])
                let opened = ContinuousClock.now
                let ending = try await serve(channel, environment: environment) {
                    shutDown.store(true, ordering: .relaxed)
                }
                if ending.commands > 0 || ContinuousClock.now - opened >= Self.settled { delay = .seconds(1) }
                log(ending, retry: shutDown.load(ordering: .relaxed) || Task.isCancelled ? nil : delay)
            } catch {
                logger.warning(
                    "cannot connect to the master",
                    metadata: [
                        "gantry.master": "\(host):\(port)", "gantry.error": "\(error)", "gantry.retry": "\(delay)",
                    ])
            }
            guard !shutDown.load(ordering: .relaxed) else { break }
            guard (try? await Task.sleep(for: delay)) != nil else { break }
            delay = min(delay * 2, .seconds(60))
        }
    }

    /// Says how a connection ended, and when the next one is tried. A master that closed it before its first
    /// request refused the worker, which the operator must hear about.
    private func log(_ ending: Ending, retry: Duration?) {
        guard let retry else {
            logger.info("disconnected from the master", metadata: ["gantry.reason": "\(ending.reason)"])
            return
        }
        guard ending.requests == 0 else {
            logger.info(
                "disconnected from the master",
                metadata: ["gantry.reason": "\(ending.reason)", "gantry.retry": "\(retry)"])
            return
        }
        let why =
            "\(ending.reason) before its first request, as a master does while another worker named"
            + " '\(name)' is connected"
        logger.warning(
            "the master refused this worker", metadata: ["gantry.reason": "\(why)", "gantry.retry": "\(retry)"])
    }

    /// Runs one connection to its end; why it ended, and what the master asked of it.
    private func serve(
        _ channel: MasterConnection.Channel, environment: WorkerEnvironment, onShutdown: @escaping @Sendable () -> Void
    ) async throws -> Ending {
        try await channel.executeThenClose { inbound, outbound in
            let (queue, enqueue) = AsyncStream<Outgoing>.makeStream()
            let session = MasterSession(
                environment: environment, logger: logger,
                onShutdown: {
                    onShutdown()
                    enqueue.yield(.close)
                },
                transmit: { bytes in
                    guard case .enqueued = enqueue.yield(.message(bytes)) else { throw ChannelError.ioOnClosedChannel }
                })
            // A write fails only when the connection is gone, which the read below ends on and reports.
            async let written: Void = {
                for await item in queue {
                    switch item {
                    case .message(let bytes):
                        try? await outbound.write(
                            WebSocketFrame(
                                fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: bytes)))
                    case .pong(let data):
                        try? await outbound.write(
                            WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: data))
                    case .close:
                        try? await outbound.write(
                            WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer()))
                        return
                    }
                }
            }()
            let reason = await withTaskCancellationHandler {
                await read(inbound, into: session, replies: enqueue)
            } onCancel: {
                enqueue.yield(.close)
            }
            await session.lost(reason)
            await session.drain()
            enqueue.finish()
            await written
            return await Ending(
                reason: reason, requests: session.requestsReceived, commands: session.commandsStarted)
        }
    }

    private func read(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, into session: MasterSession,
        replies: AsyncStream<Outgoing>.Continuation
    ) async -> String {
        var assembler = MessageAssembler(maxMessageSize: maxFrameSize)
        do {
            for try await frame in inbound {
                switch frame.opcode {
                case .binary, .continuation:
                    let message = try assembler.add(
                        Array(frame.unmaskedData.readableBytesView), continuation: frame.opcode == .continuation,
                        fin: frame.fin)
                    if let message { try await session.receive(message) }
                case .ping: replies.yield(.pong(frame.unmaskedData))
                case .connectionClose:
                    replies.yield(.close)
                    return "the master closed the connection" + Self.closeReason(frame.unmaskedData)
                default: continue
                }
            }
            return Task.isCancelled ? "the worker is stopping" : "the master disconnected"
        } catch is CancellationError {
            return "the worker is stopping"
        } catch {
            replies.yield(.close)
            return "\(error)"
        }
    }

    /// A close frame's status code and reason, when the master gave them (Buildbot's and Gantry's give none).
    private static func closeReason(_ payload: ByteBuffer) -> String {
        var payload = payload
        guard let code = payload.readInteger(as: UInt16.self) else { return "" }
        let text = payload.readString(length: payload.readableBytes) ?? ""
        return text.isEmpty ? " (code \(code))" : " (code \(code): \(text))"
    }
}
