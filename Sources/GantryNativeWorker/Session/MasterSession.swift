import GantryWire
import Logging

/// The worker's side of one connection: answers the master's requests (attach, settings, commands,
/// interrupts, shutdown), and sends each command's updates, completion and file transfers as numbered requests
/// of its own. Losing the connection interrupts every running command, as a buildbot-worker does.
actor MasterSession {
    /// Why the session ended on the master's request.
    enum Ending: Sendable { case shutdown }

    let environment: WorkerEnvironment
    private let transmit: @Sendable ([UInt8]) async throws -> Void
    private let logger: Logger
    private var pending = PendingRequests()
    private var commands: [String: RunningCommand] = [:]
    private var lostReason: String?
    /// How commands started from now on buffer and cut their output.
    private(set) var settings = OutputSettings()
    /// How many requests the master sent, and how many commands it started: a master that refuses a worker
    /// closes the connection before its first request.
    private(set) var requestsReceived = 0
    private(set) var commandsStarted = 0
    /// Told when the master asked the worker to shut down.
    private let onShutdown: @Sendable () -> Void

    init(
        environment: WorkerEnvironment, logger: Logger, onShutdown: @escaping @Sendable () -> Void,
        transmit: @escaping @Sendable ([UInt8]) async throws -> Void
    ) {
        self.environment = environment
        self.logger = logger
        self.onShutdown = onShutdown
        self.transmit = transmit
    }

    /// Sends `op` to the master and returns its result.
    func request(_ op: String, _ fields: [MessagePackValue.MapEntry]) async throws -> MessagePackValue {
        if let lostReason { throw SessionError.connectionLost(lostReason) }
        let (seq, answer) = pending.open()
        do {
            try await transmit(WireMessage.request(WireRequest(op: op, seq: seq, fields: fields)).encoded())
        } catch {
            pending.fail(seq, with: SessionError.connectionLost("sending failed: \(error)"))
        }
        for try await result in answer { return result }
        throw SessionError.connectionLost(lostReason ?? "no answer")
    }

    /// Handles one binary message from the master.
    /// - Throws: `SessionError.protocolViolation` when the connection must be closed.
    func receive(_ bytes: [UInt8]) async throws {
        let message: WireMessage
        do {
            message = try WireMessage(decoding: bytes)
        } catch {
            throw SessionError.protocolViolation(error.description)
        }
        switch message {
        case .response(let response):
            if !pending.resolve(response, remoteError: SessionError.remote) {
                logger.warning(
                    "answer to a request that is not outstanding", metadata: ["gantry.seq": "\(response.seq)"])
            }
        case .request(let request):
            requestsReceived += 1
            let response = answer(request)
            // A send fails only when the connection is gone, which the read loop ends on and reports.
            try? await transmit(WireMessage.response(response).encoded())
            if request.op == "shutdown" { onShutdown() }
        }
    }

    /// The connection ended: waiting requests fail and running commands are interrupted.
    func lost(_ reason: String) {
        guard lostReason == nil else { return }
        lostReason = reason
        pending.failAll(with: SessionError.connectionLost(reason))
        for command in commands.values { command.interrupt("the connection to the master was lost") }
    }

    /// Waits (a little longer than an interrupt's grace) for the interrupted commands to end.
    func drain() async {
        let clock = ContinuousClock()
        let deadline = clock.now + Commands.interruptGrace + .seconds(1)
        while !commands.isEmpty, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The command ended: its last updates go out, then `complete` (with the failure text when it raised).
    func finished(_ commandID: String, failure: String?) async {
        commands[commandID] = nil
        await report(
            "complete",
            [.init("command_id", .string(commandID)), .init("args", failure.map(MessagePackValue.string) ?? .nil)])
    }

    /// Sends `op` about a command (`update`, `complete`), whose answer carries nothing. A lost connection is
    /// reported where it is noticed; the master refusing it (a command it gave up on) is logged here.
    func report(_ op: String, _ fields: [MessagePackValue.MapEntry]) async {
        do {
            _ = try await request(op, fields)
        } catch {
            if case SessionError.connectionLost = error { return }
            // The keys are LogKey's (`rpcMethod`, `error`); this target does not depend on GantryModel.
            logger.warning(
                "the master refused a report on a command",
                metadata: ["gantry.rpc.method": "\(op)", "gantry.error": "\(error)"])
        }
    }

    private func answer(_ request: WireRequest) -> WireResponse {
        func refuse(_ text: String) -> WireResponse {
            WireResponse(seq: request.seq, result: .string(text), isException: true)
        }
        switch request.op {
        case "print":
            logger.info(
                "message from the master", metadata: ["gantry.message": "\(request["message"]?.stringValue ?? "")"])
        case "keepalive", "shutdown":
            break
        case "get_worker_info":
            return WireResponse(seq: request.seq, result: environment.info)
        case "set_worker_settings":
            let (updated, ignored) = settings.updated(with: request["args"])
            settings = updated
            if !ignored.isEmpty {
                logger.warning(
                    "settings from the master ignored",
                    metadata: ["gantry.settings": "\(ignored.joined(separator: ", "))"])
            }
        case "start_command":
            guard let commandID = request["command_id"]?.stringValue,
                let name = request["command_name"]?.stringValue
            else { return refuse(#"message did not contain obligatory "command_id" or "command_name" key"#) }
            guard let args = request["args"] else { return refuse(#"message did not contain obligatory "args" key"#) }
            guard let command = Commands.named(name) else {
                return refuse("(command \(commandID)): unrecognized WorkerCommand '\(name)'")
            }
            if let missing = command.missing(in: args) {
                return refuse("\(command.name) is missing args: \(missing.joined(separator: ", "))")
            }
            commands[commandID] = RunningCommand.start(
                command, id: commandID, args: args, settings: settings, session: self)
            commandsStarted += 1
        case "interrupt_command":
            guard let commandID = request["command_id"]?.stringValue else {
                return refuse(#"message did not contain obligatory "command_id" key"#)
            }
            commands[commandID]?.interrupt(request["why"]?.stringValue ?? "interrupted")
        default:
            return refuse("unknown op '\(request.op)'")
        }
        return WireResponse(seq: request.seq)
    }
}

/// How a session's request failed.
enum SessionError: Error, CustomStringConvertible {
    case connectionLost(String)
    case remote(String)
    case protocolViolation(String)

    var description: String {
        switch self {
        case .connectionLost(let reason): "connection to the master lost: \(reason)"
        case .remote(let text): "the master answered with an error: \(text)"
        case .protocolViolation(let reason): "protocol violation: \(reason)"
        }
    }
}
