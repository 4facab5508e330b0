import AsyncHTTPClient
import Foundation
import GantryModel
import NIOCore
import NIOHTTP1

/// The few Docker Engine API calls a pool makes, on the engine's unix socket (Docker's, or the one
/// `podman system service` serves). Every call has a deadline, every answer is bounded, and every failure is a
/// ``ProvisionerError`` an operator can act on.
struct DockerEngine: Sendable {
    /// The API version every path names: one Docker (20.10 on) and podman's service (4 on) both serve.
    static let apiVersion = "/v1.41"
    /// The most of an answer read: a pool's list of containers takes far less, and a broken engine cannot make
    /// the master buffer more.
    static let maxBodyBytes = 4 << 20
    /// How long a call may take, its answer included; a stop also gets the container's grace.
    static let timeout: Duration = .seconds(30)
    /// The most of an engine's message a failure carries: it goes to the pool's event log.
    static let maxMessageLength = 300

    /// The shared client's settings without a read timeout (a stop is answered only once the container is gone,
    /// which may take its whole grace, and every call has a deadline of its own) and without redirects (an engine
    /// sends none). A static lives as long as the process, so the client is never shut down, as the shared one.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.timeout.read = nil
        configuration.redirectConfiguration = .disallow
        return HTTPClient(configuration: configuration)
    }()

    /// The engine's socket.
    let socket: String

    /// Creates a container that is not started yet, and returns its id.
    func create(_ spec: ContainerSpec) async throws -> String {
        let action = "creating a container of image '\(spec.image)'"
        let answer = try await call(.POST, "/containers/create", body: JSONEncoder().encode(spec), action: action)
        guard answer.status == 201 else { throw failure(answer, action, image: spec.image) }
        return try decode(Created.self, answer, action).id
    }

    /// Starts a created container; one already running is fine.
    func start(_ id: String) async throws {
        let action = "starting container \(id)"
        let answer = try await call(.POST, "/containers/\(Self.segment(id))/start", action: action)
        guard [204, 304].contains(answer.status) else { throw failure(answer, action) }
    }

    /// Stops a container, killing it after `grace`; one already stopped or gone is fine.
    func stop(_ id: String, grace: Duration) async throws {
        let action = "stopping container \(id)"
        let answer = try await call(
            .POST, "/containers/\(Self.segment(id))/stop", query: "t=\(Self.wholeSeconds(grace))",
            timeout: grace + Self.timeout, action: action)
        guard [204, 304, 404].contains(answer.status) else { throw failure(answer, action) }
    }

    /// Removes a container, running or not, with its anonymous volumes; one already gone is fine.
    func remove(_ id: String) async throws {
        let action = "removing container \(id)"
        let answer = try await call(
            .DELETE, "/containers/\(Self.segment(id))", query: "force=true&v=true", action: action)
        guard [204, 404].contains(answer.status) else { throw failure(answer, action) }
    }

    /// Stops a container within `grace`, then removes it. The removal is forced, so it makes up for a stop that
    /// failed, and only its failure is thrown.
    func stopAndRemove(_ id: String, grace: Duration) async throws {
        try? await stop(id, grace: grace)
        try await remove(id)
    }

    /// Whether a container runs: not once it exited, nor when it is gone.
    func isRunning(_ id: String) async throws -> Bool {
        let action = "inspecting container \(id)"
        let answer = try await call(.GET, "/containers/\(Self.segment(id))/json", action: action)
        switch answer.status {
        case 200: return try decode(Inspected.self, answer, action).state.running
        case 404: return false
        default: throw failure(answer, action)
        }
    }

    /// The containers carrying every one of `labels`, running or not.
    func list(labels: [String: String]) async throws -> [ListedInstance] {
        let action = "listing containers"
        let answer = try await call(.GET, "/containers/json", query: Self.listQuery(labels: labels), action: action)
        guard answer.status == 200 else { throw failure(answer, action) }
        return try decode([Listed].self, answer, action).map {
            ListedInstance(id: $0.id, labels: $0.labels ?? [:], running: $0.state == "running")
        }
    }

    // MARK: Calls

    /// An answer's status and body.
    struct Answer: Sendable {
        var status: Int
        var body: Data
    }

    /// Sends one request and reads its answer, whatever its status.
    /// - Parameter action: What the call does, for the failure's message.
    private func call(
        _ method: HTTPMethod, _ path: String, query: String? = nil, body: Data? = nil,
        timeout: Duration = Self.timeout, action: String
    ) async throws -> Answer {
        let uri = Self.apiVersion + path + (query.map { "?" + $0 } ?? "")
        guard let url = URL(httpURLWithSocketPath: socket, uri: uri) else {
            throw ProvisionerError(.permanent, "the engine's socket path '\(socket)' cannot be used")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        // Go's HTTP server (Docker's, podman's) refuses a request without a Host, and a socket gives none.
        request.headers.add(name: "Host", value: "localhost")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        do {
            let response = try await Self.client.execute(request, timeout: TimeAmount(timeout))
            let bytes = try await response.body.collect(upTo: Self.maxBodyBytes)
            return Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView))
        } catch is NIOTooManyBytesError {
            throw ProvisionerError(
                .transient,
                "the engine at \(socket) answered with more than \(Self.maxBodyBytes >> 20) MiB while \(action)")
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw ProvisionerError(
                .transient, "the engine at \(socket) did not answer within \(timeout) while \(action)")
        } catch {
            try Task.checkCancellation()
            throw ProvisionerError(
                .transient, "cannot reach the engine at \(socket) while \(action): \(Self.oneLine("\(error)"))")
        }
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ answer: Answer, _ action: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: answer.body)
        } catch {
            throw ProvisionerError(.transient, "the engine at \(socket) gave an answer not understood while \(action)")
        }
    }

    private func failure(_ answer: Answer, _ action: String, image: String? = nil) -> ProvisionerError {
        Self.failure(
            status: answer.status, message: Self.message(answer.body), action: action, image: image, socket: socket)
    }

    // MARK: Pure parts

    /// What an engine's refusal means for the pool: an image it does not have can never work, a limit passes,
    /// anything else may work next time.
    /// - Parameters:
    ///   - message: The engine's, as ``message(_:)`` reads it.
    ///   - image: The image a create named; nil for other calls.
    static func failure(status: Int, message: String, action: String, image: String?, socket: String)
        -> ProvisionerError
    {
        let lowered = message.lowercased()
        if status == 404, let image {
            // A create's 404 is a missing image, unless the engine says it misses the network.
            guard lowered.contains("network") else {
                return ProvisionerError(.permanent, "image '\(image)' is not on the engine at \(socket)")
            }
            return ProvisionerError(.permanent, "the engine at \(socket) cannot create the container: \(message)")
        }
        let text =
            "the engine at \(socket) answered \(status) while \(action)" + (message.isEmpty ? "" : ": \(message)")
        if status == 429 || lowered.contains("quota") || lowered.contains("too many") {
            return ProvisionerError(.quota, text)
        }
        return ProvisionerError(.transient, text)
    }

    /// The `message` of an engine's error body (its whole text when it has none), on one bounded line.
    static func message(_ body: Data) -> String {
        struct Refusal: Decodable {
            var message: String
        }
        let refusal = try? JSONDecoder().decode(Refusal.self, from: body)
        return oneLine(refusal?.message ?? String(decoding: body, as: UTF8.self))
    }

    /// `text` with its whitespace and control characters runs of one space, cut at ``maxMessageLength``.
    static func oneLine(_ text: String) -> String {
        let line = text.split { $0.isWhitespace || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false) }
            .joined(separator: " ")
        return line.count > maxMessageLength ? String(line.prefix(maxMessageLength)) + "…" : line
    }

    /// The query of a list of every container (running or not) carrying all of `labels`:
    /// `all=true&filters={"label":["K=V",…]}`, percent-encoded.
    static func listQuery(labels: [String: String]) throws -> String {
        let filters = ["label": labels.map { "\($0.key)=\($0.value)" }.sorted()]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(filters), as: UTF8.self)
        return "all=true&filters=" + (json.addingPercentEncoding(withAllowedCharacters: plain) ?? json)
    }

    /// A container id as one path segment: ids may come from the database, and must stay one segment.
    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: plain) ?? id
    }

    /// The whole seconds a stop's `t` gives a container: `grace`, rounded up.
    static func wholeSeconds(_ grace: Duration) -> Int64 {
        let (seconds, attoseconds) = grace.components
        return seconds + (attoseconds > 0 ? 1 : 0)
    }

    /// What a path segment or a query's value keeps as it is: ASCII letters, digits, `-` and `_`. Everything else
    /// is percent-encoded, and the engine decodes it.
    private static let plain = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    // MARK: Answers

    /// `POST /containers/create`'s answer.
    private struct Created: Decodable {
        var id: String

        enum CodingKeys: String, CodingKey {
            case id = "Id"
        }
    }

    /// The part of `GET /containers/{id}/json`'s answer read.
    private struct Inspected: Decodable {
        struct State: Decodable {
            var running: Bool

            enum CodingKeys: String, CodingKey {
                case running = "Running"
            }
        }

        var state: State

        enum CodingKeys: String, CodingKey {
            case state = "State"
        }
    }

    /// One container of `GET /containers/json`'s answer.
    private struct Listed: Decodable {
        var id: String
        var labels: [String: String]?
        /// `running`, `exited`, `created`….
        var state: String?

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case labels = "Labels"
            case state = "State"
        }
    }
}

extension DockerEngine {
    /// The body of `POST /containers/create`: the pool's settings and the worker's request as the engine takes
    /// them. It holds the worker's password, so it is sent and never logged.
    struct ContainerSpec: Encodable, Sendable, Hashable {
        struct HostConfig: Encodable, Sendable, Hashable {
            var networkMode: String?
            var binds: [String]
            var memory: Int?
            var nanoCPUs: Int?
            /// A tiny init as PID 1, which passes the stop's SIGTERM on to the worker and reaps its children.
            var runsInit: Bool

            enum CodingKeys: String, CodingKey {
                case networkMode = "NetworkMode"
                case binds = "Binds"
                case memory = "Memory"
                case nanoCPUs = "NanoCpus"
                case runsInit = "Init"
            }
        }

        var image: String
        var command: [String]?
        /// `NAME=value`.
        var environment: [String]
        var labels: [String: String]
        var hostConfig: HostConfig

        enum CodingKeys: String, CodingKey {
            case image = "Image"
            case command = "Cmd"
            case environment = "Env"
            case labels = "Labels"
            case hostConfig = "HostConfig"
        }

        /// The variables the master sets: the worker's name, password and master, as Buildbot's docker latent
        /// worker passes them. The pool's own variables of these names give way.
        static let masterVariables = ["WORKER_NAME", "WORKER_PASSWORD", "MASTER_URL"]

        /// The container of `request` in a pool of `settings`: its labels are the pool's, then the worker's name,
        /// then the request's (so the master's `gantry.*` labels win), and the worker's variables follow the
        /// pool's.
        init(settings: DockerSettings, request: InstanceRequest) {
            image = settings.image
            command = settings.command
            let pool = settings.environment.filter { !Self.masterVariables.contains($0.key) }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let master = [request.name, request.password, request.master]
            environment = pool + zip(Self.masterVariables, master).map { "\($0)=\($1)" }
            labels = settings.labels.merging([InstanceLabel.worker: request.name]) { $1 }
                .merging(request.labels) { $1 }
            hostConfig = HostConfig(
                networkMode: settings.network, binds: settings.mounts, memory: settings.memoryBytes,
                nanoCPUs: settings.cpus.flatMap { Int(exactly: ($0 * 1e9).rounded()) }, runsInit: true)
        }
    }
}
