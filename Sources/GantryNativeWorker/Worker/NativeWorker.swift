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
/// doubling up to a minute, back to 1 s once connected). It ends when the master asks it to shut down or its
/// task is cancelled; either way the commands still running are interrupted and waited for, so no process it
/// started survives it.
public struct NativeWorker: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var name: String
    public var password: String
    public var basedir: String
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

    private enum Outgoing: Sendable {
        case message([UInt8])
        case pong(ByteBuffer)
        case close
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
                    host: host, port: port, name: name, password: password, maxFrameSize: maxFrameSize)
                logger.info("connected to the master", metadata: ["gantry.master": "\(host):\(port)"])
                delay = .seconds(1)
                let reason = try await serve(channel, environment: environment) {
                    shutDown.store(true, ordering: .relaxed)
                }
                logger.info("disconnected from the master", metadata: ["gantry.reason": "\(reason)"])
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

    /// Runs one connection to its end; why it ended.
    private func serve(
        _ channel: MasterConnection.Channel, environment: WorkerEnvironment, onShutdown: @escaping @Sendable () -> Void
    ) async throws -> String {
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
            return reason
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
                case .connectionClose: return "the master closed the connection"
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
}
