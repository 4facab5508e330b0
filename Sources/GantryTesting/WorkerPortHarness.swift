public import Foundation
public import GantryTLS
public import GantryWorkers
public import Logging

/// A worker port on 127.0.0.1 (any free port) whose links are handed to a test once attached.
public struct WorkerPortHarness: Sendable {
    public let port: WorkerPort
    /// The port number workers connect to.
    public let number: Int
    /// Each connection once attached, with what the worker said about itself.
    public let links: AsyncStream<(WorkerLink, WorkerInfo)>
    /// A scratch directory for worker base directories, removed afterwards.
    public let directory: URL

    /// Runs `body` while the port listens (serving TLS with `tls`).
    public static func withPort<T: Sendable>(
        passwords: [String: String],
        maxMessageSize: Int = 16 << 20,
        limits: WorkerPortLimits = WorkerPortLimits(),
        tls: TLSServerContext? = nil,
        logger: Logger = silentLogger,
        _ body: (WorkerPortHarness) async throws -> T
    ) async throws -> T {
        let port = WorkerPort(
            host: "127.0.0.1", port: 0, maxMessageSize: maxMessageSize, limits: limits, tls: tls, logger: logger
        ) { passwords[$0] }
        let (links, attached) = AsyncStream<(WorkerLink, WorkerInfo)>.makeStream()
        let (bound, boundTo) = AsyncStream<Int>.makeStream()
        let server = Task {
            try await port.run(onBound: { boundTo.yield($0) }) { link in
                guard let info = try? await link.attach() else { return }
                attached.yield((link, info))
                // Keep the link's task alive while the connection lives.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }
        }
        defer { server.cancel() }
        var boundPorts = bound.makeAsyncIterator()
        guard let number = await boundPorts.next() else { throw CocoaError(.featureUnsupported) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-wp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(WorkerPortHarness(port: port, number: number, links: links, directory: directory))
    }

    /// Starts a real buildbot-worker against the port and returns it once attached.
    public func connect(name: String, password: String) async throws -> (BuildbotWorkerProcess, WorkerLink, WorkerInfo)
    {
        let worker = try await BuildbotWorkerProcess(
            name: name, password: password, masterPort: number, directory: directory)
        var iterator = links.makeAsyncIterator()
        guard let (link, info) = await iterator.next() else { throw CocoaError(.featureUnsupported) }
        return (worker, link, info)
    }
}
