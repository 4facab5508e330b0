import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sends the HTTP reporters' requests and says how each went in the terms the outbox retries by.
///
/// Built on one client for the process, so connections to a code host are reused across reporters and nothing
/// has to be shut down.
public struct HTTPTransport: Sendable {
    /// How long a request may take, the answer's body included.
    public var timeout: Duration

    /// The most of an answer's body read: enough for any error message, and a hostile target cannot make a
    /// master buffer more.
    static let maxBodyBytes = 64 << 10

    /// `HTTPClient.shared`'s settings, but never following a redirect: that would carry a token header to another
    /// host, or turn the POST into a GET whose 200 would count as delivered. A 3xx fails with its status instead.
    /// A static lives as long as the process, so the client is never shut down, as the shared one.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        return HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
            backgroundActivityLogger: Logger(label: "gantry.reporters.http", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }()

    public init(timeout: Duration = .seconds(30)) {
        self.timeout = timeout
    }

    /// Sends one request and judges its answer (see ``HTTPReply/outcome(at:)``); a request that gets no answer
    /// (the network, the timeout) is retried.
    /// - Parameters:
    ///   - headers: Sent as given; a later header replaces an earlier one of the same name.
    ///   - alreadyApplied: Whether an answer says the target already has what was sent (GitLab refusing to set a
    ///     state twice); such an answer counts as delivered.
    func send(
        method: String, url: String, headers: [(String, String)], body: String?,
        alreadyApplied: (HTTPReply) -> Bool = { _ in false }
    ) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let reply: HTTPReply
        do {
            let response = try await Self.client.execute(request, timeout: TimeAmount(timeout))
            reply = HTTPReply(
                status: Int(response.status.code),
                headers: Dictionary(
                    response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last }),
                body: await Self.read(response.body))
        } catch {
            // The URL's host only: a webhook's path or query may carry its key.
            let host = URL(string: url)?.host ?? "the target"
            if let error = error as? HTTPClientError, error == .deadlineExceeded {
                return .retry(reason: "no answer from \(host) within \(timeout)")
            }
            return .retry(reason: "cannot reach \(host): \(error)")
        }
        if alreadyApplied(reply) { return .delivered(status: reply.status) }
        return reply.outcome(at: Date())
    }

    /// The body's first ``maxBodyBytes`` bytes as text. A body cut short by the network is judged by what
    /// arrived: the status line has already said how the request went.
    private static func read(_ body: HTTPClientResponse.Body) async -> String {
        var bytes: [UInt8] = []
        do {
            for try await part in body {
                bytes += part.readableBytesView.prefix(maxBodyBytes - bytes.count)
                if bytes.count >= maxBodyBytes { break }
            }
        } catch {}
        return String(decoding: bytes, as: UTF8.self)
    }
}
