import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The worker's WebSocket connection to a master's worker port, authenticated with HTTP Basic credentials on
/// the upgrade as a buildbot-worker does; over TLS when the worker has ``WorkerTLS``.
struct MasterConnection {
    typealias Channel = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    enum Failure: Error, CustomStringConvertible {
        case refused(host: String, port: Int)

        var description: String {
            switch self {
            case .refused(let host, let port):
                "the master at \(host):\(port) refused the connection (a wrong name or password, or not a worker port)"
            }
        }
    }

    private enum Upgrade: Sendable {
        case webSocket(Channel)
        case refused
    }

    /// Connects (with `tls`, over TLS) and upgrades; the frames' channel.
    static func connect(
        host: String, port: Int, name: String, password: String, maxFrameSize: Int, tls: WorkerTLS? = nil
    ) async throws -> Channel {
        let upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // First: the upgrade request it sends waits for the handshake.
                    if let tls { try channel.pipeline.syncOperations.addHandler(try tls.makeHandler(host: host)) }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
                        maxFrameSize: maxFrameSize,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                Upgrade.webSocket(try Channel(wrappingChannelSynchronously: channel))
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    let credentials = Data("\(name):\(password)".utf8).base64EncodedString()
                    headers.add(name: "Authorization", value: "Basic \(credentials)")
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: HTTPRequestHead(
                            version: .http1_1, method: .GET, uri: "/", headers: headers),
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeSucceededFuture(.refused)
                        })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // A Buildbot master sends its first message in the same packet as the 101; keep those bytes.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: pipeline)
                }
            }
        switch try await upgrade.get() {
        case .webSocket(let channel): return channel
        case .refused: throw Failure.refused(host: host, port: port)
        }
    }
}
