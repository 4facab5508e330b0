import GantryModel
public import GantryWire
public import Logging

/// The master's side of one worker connection: numbered requests and their answers in both directions, the
/// remote commands running on the worker, and what ends them.
///
/// Requests may overlap and answers arrive in any order. A command is registered before its
/// `start_command` is sent, because a quick command's `update` and `complete` arrive before the answer to
/// the start. A frame that is not a protocol message, or an operation the protocol does not have, is a
/// violation: ``receive(_:)`` throws and the connection is closed. Losing the connection fails every
/// outstanding request and every running command with the reason.
public actor WorkerLink {
    public nonisolated let name: String
    private let transport: any LinkTransport
    private let logger: Logger
    private var pending = PendingRequests()
    private var commands: [String: AsyncStream<CommandEvent>.Continuation] = [:]
    private var transfers: [String: any FileTransfer] = [:]
    private var lostReason: String?

    public init(name: String, transport: any LinkTransport, logger: Logger) {
        self.name = name
        self.transport = transport
        var logger = logger
        logger[metadataKey: LogKey.worker] = "\(name)"
        self.logger = logger
    }

    // MARK: - Requests to the worker

    /// Sends `op` with `fields` and returns the worker's result.
    /// - Throws: ``WorkerLinkError/remote(_:)`` when the worker answers with an exception,
    ///   ``WorkerLinkError/connectionLost(_:)`` when the connection ends first.
    public func request(_ op: String, _ fields: [MessagePackValue.MapEntry] = []) async throws -> MessagePackValue {
        if let lostReason { throw WorkerLinkError.connectionLost(lostReason) }
        let (seq, answer) = pending.open()
        await transmit(WireMessage.request(WireRequest(op: op, seq: seq, fields: fields)).encoded(), failing: seq)
        for try await result in answer { return result }
        throw WorkerLinkError.connectionLost(lostReason ?? "no answer")
    }

    /// The attach sequence: `print "attached"`, `get_worker_info`, `set_worker_settings`.
    public func attach(settings: WorkerSettings = WorkerSettings()) async throws -> WorkerInfo {
        _ = try await request("print", [.init("message", "attached")])
        let info = WorkerInfo(try await request("get_worker_info"))
        _ = try await request("set_worker_settings", [.init("args", settings.value)])
        return info
    }

    /// Runs a remote command to its `complete`, handing each update to `onUpdate` as it arrives.
    /// - Throws: ``WorkerLinkError/remote(_:)`` when the worker refused to start it (no update follows),
    ///   ``WorkerLinkError/connectionLost(_:)`` when the connection ended before `complete`.
    /// - Parameters:
    ///   - transfer: The master's end of the command's file transfer (uploads, downloads); told to finish when
    ///     the command ends, however it ends.
    ///   - started: Told the command's id once the worker started it, so the caller can interrupt it.
    public func runCommand(
        _ commandName: String,
        args: MessagePackValue,
        builderName: String? = nil,
        transfer: (any FileTransfer)? = nil,
        onUpdate: @Sendable (RemoteUpdate) async -> Void = { _ in },
        started: @Sendable (String) async -> Void = { _ in }
    ) async throws -> RemoteCommandOutcome {
        let registered: (String, AsyncStream<CommandEvent>)
        do {
            registered = try register()
        } catch {
            // The transfer may already hold a file (a temporary one beside its destination): it must be removed.
            await transfer?.finish(succeeded: false)
            throw error
        }
        let (commandID, events) = registered
        transfers[commandID] = transfer
        do {
            let outcome = try await run(commandID, events, commandName, args, builderName, onUpdate, started)
            await transfers.removeValue(forKey: commandID)?.finish(succeeded: outcome.succeeded)
            return outcome
        } catch {
            await transfers.removeValue(forKey: commandID)?.finish(succeeded: false)
            throw error
        }
    }

    /// Runs `command` to its `complete`, as ``runCommand(_:args:builderName:transfer:onUpdate:started:)`` runs a
    /// command given by name and wire arguments.
    public func runCommand(
        _ command: RemoteCommand,
        builderName: String? = nil,
        transfer: (any FileTransfer)? = nil,
        onUpdate: @Sendable (RemoteUpdate) async -> Void = { _ in },
        started: @Sendable (String) async -> Void = { _ in }
    ) async throws -> RemoteCommandOutcome {
        try await runCommand(
            command.name, args: command.arguments, builderName: builderName, transfer: transfer, onUpdate: onUpdate,
            started: started)
    }

    private func run(
        _ commandID: String,
        _ events: AsyncStream<CommandEvent>,
        _ commandName: String,
        _ args: MessagePackValue,
        _ builderName: String?,
        _ onUpdate: @Sendable (RemoteUpdate) async -> Void,
        _ started: @Sendable (String) async -> Void
    ) async throws -> RemoteCommandOutcome {
        var fields: [MessagePackValue.MapEntry] = []
        if let builderName { fields.append(.init("builder_name", .string(builderName))) }
        fields += [
            .init("command_id", .string(commandID)), .init("command_name", .string(commandName)), .init("args", args),
        ]
        do {
            _ = try await request("start_command", fields)
        } catch {
            commands[commandID] = nil
            throw error
        }
        await started(commandID)
        var outcome = RemoteCommandOutcome()
        for await event in events {
            switch event {
            case .update(let updates):
                for update in updates {
                    if update.key == "rc" { outcome.rc = update.value.intValue }
                    await onUpdate(update)
                }
            case .complete(let failure):
                outcome.failure = failure
                return outcome
            }
        }
        throw WorkerLinkError.connectionLost(lostReason ?? "the command ended without completing")
    }

    /// Stops waiting for command `commandID`, which ends as if the worker had failed it with `reason`: the
    /// worker no longer reports on it. Anything it sends for the command later is refused.
    public func abandon(commandID: String, reason: String) {
        guard let command = commands.removeValue(forKey: commandID) else { return }
        command.yield(.complete(failure: reason))
        command.finish()
    }

    /// Asks the worker to interrupt command `commandID`; it still reports until its `complete`.
    public func interrupt(commandID: String, why: String) async throws {
        _ = try await request(
            "interrupt_command", [.init("command_id", .string(commandID)), .init("why", .string(why))])
    }

    // MARK: - Messages from the worker

    /// Handles one binary message from the worker.
    /// - Throws: ``WorkerLinkError/protocolViolation(_:)`` when the connection must be closed.
    public func receive(_ bytes: [UInt8]) async throws {
        let message: WireMessage
        do {
            message = try WireMessage(decoding: bytes)
        } catch {
            throw WorkerLinkError.protocolViolation(error.description)
        }
        switch message {
        case .response(let response):
            guard pending.resolve(response, remoteError: WorkerLinkError.remote) else {
                logger.warning(
                    "answer to a request that is not outstanding", metadata: [LogKey.sequence: "\(response.seq)"])
                return
            }
        case .request(let request):
            let answer = try await handle(request)
            await transmit(WireMessage.response(answer).encoded(), failing: nil)
        }
    }

    /// The connection ended: every outstanding request and running command fails with `reason`.
    public func lost(_ reason: String) {
        guard lostReason == nil else { return }
        lostReason = reason
        pending.failAll(with: WorkerLinkError.connectionLost(reason))
        let running = commands.values
        commands = [:]
        for command in running { command.finish() }
    }

    /// Closes the connection from this side.
    public func close(_ reason: String) async {
        lost(reason)
        await transport.close()
    }

    // MARK: - Internals

    private func register() throws -> (String, AsyncStream<CommandEvent>) {
        if let lostReason { throw WorkerLinkError.connectionLost(lostReason) }
        let commandID = CommandIDs.next()
        let (events, continuation) = AsyncStream<CommandEvent>.makeStream()
        commands[commandID] = continuation
        return (commandID, events)
    }

    private func transmit(_ message: [UInt8], failing seq: Int?) async {
        do {
            try await transport.send(message)
        } catch {
            // The transport's error stays in the log: the reason reaches step logs, which users read.
            logger.debug("message to the worker not sent", metadata: [LogKey.error: "\(error)"])
            if let seq { pending.fail(seq, with: WorkerLinkError.connectionLost("the message could not be sent")) }
        }
    }

    /// The answer to a worker's request about one of our commands.
    private func handle(_ request: WireRequest) async throws -> WireResponse {
        func refuse(_ message: String) -> WireResponse {
            WireResponse(seq: request.seq, result: .string(message), isException: true)
        }
        guard Self.workerOps.contains(request.op) else {
            throw WorkerLinkError.protocolViolation("the worker sent unknown op '\(request.op)'")
        }
        guard let commandID = request["command_id"]?.stringValue else {
            return refuse(#"message did not contain obligatory "command_id" key"#)
        }
        guard let command = commands[commandID] else { return refuse(#"unknown "command_id""#) }
        switch request.op {
        case "update":
            guard let entries = request["args"]?.arrayValue else {
                return refuse(#"message did not contain obligatory "args" key"#)
            }
            let updates = entries.compactMap { entry -> RemoteUpdate? in
                guard let pair = entry.arrayValue, pair.count == 2, let key = pair[0].stringValue else { return nil }
                return RemoteUpdate(key: key, value: pair[1])
            }
            command.yield(.update(updates))
        case "complete":
            commands[commandID] = nil
            command.yield(.complete(failure: request["args"]?.stringValue))
            command.finish()
        default:
            guard let transfer = transfers[commandID] else {
                return refuse("command \(commandID) has no file transfer")
            }
            do {
                return WireResponse(seq: request.seq, result: try await transfer.handle(request))
            } catch let refusal as TransferRefused {
                return refuse(refusal.description)
            } catch let violation as WorkerLinkError {
                return refuse(violation.description)
            } catch {
                // A file system error names the master's paths: the worker only hears that the transfer failed.
                logger.warning(
                    "file transfer request failed on the master",
                    metadata: [LogKey.rpcMethod: "\(request.op)", LogKey.error: "\(error)"])
                return refuse("the master could not carry out '\(request.op)'")
            }
        }
        return WireResponse(seq: request.seq)
    }

    /// The operations a worker may send.
    private static let workerOps: Set<String> = [
        "update", "complete", "update_upload_file_write", "update_upload_file_close", "update_upload_file_utime",
        "update_upload_directory_write", "update_upload_directory_unpack", "update_read_file",
        "update_read_file_close",
    ]
}
