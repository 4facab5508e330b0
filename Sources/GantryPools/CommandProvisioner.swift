import Foundation
import GantryModel
public import Logging
import Subprocess
import Synchronization

/// Workers on machines the master does not run itself (VMs, containers, ssh hosts): `start` and `stop` are
/// shell commands run with WORKER_NAME, WORKER_PASSWORD (start only), MASTER_URL (HOST:PORT of the worker port)
/// and INSTANCE_LABELS (`key=value` pairs, space-separated, for the instance to carry) in their environment.
///
/// The last line the start command prints is the instance's id, given to the stop command as INSTANCE_ID and
/// recorded, so a master taking the pool over runs the stop command for what a master that died left. A start
/// command exiting 75 (EX_TEMPFAIL) means a quota or rate limit (the pool tries again later), 78 (EX_CONFIG) that
/// it can never work as configured (the pool stops starting); any other failure is a failed start. The stop
/// command runs for a failed start too, so a half-made instance is not left behind: stop commands must accept a
/// worker that never fully started.
public struct CommandProvisioner: WorkerProvisioner {
    public let startCommand: String
    public let stopCommand: String
    /// Where a stop command that failed is reported: nothing else hears of it.
    let logger: Logger

    /// The most of a start command's output read for its id.
    static let outputLimit = 64 * 1024

    public init(start: String, stop: String, logger: Logger) {
        startCommand = start
        stopCommand = stop
        self.logger = logger
    }

    public var kind: String { "command" }

    public func start(_ request: InstanceRequest) async throws -> any ProvisionedWorker {
        let environment: [Environment.Key: String?] = [
            "WORKER_NAME": request.name, "MASTER_URL": request.master, "INSTANCE_LABELS": Self.text(request.labels),
        ]
        var logger = logger
        logger[metadataKey: LogKey.worker] = "\(request.name)"
        let started: (status: TerminationStatus, output: String?)
        do {
            var withPassword = environment
            withPassword["WORKER_PASSWORD"] = request.password
            started = try await Self.shell(startCommand, withPassword, capturing: true)
        } catch {
            await CommandWorker(stopCommand: stopCommand, environment: environment, logger: logger).stop()
            throw error
        }
        let id = started.output?.split(whereSeparator: \.isNewline).last.map(String.init)
        var stopEnvironment = environment
        stopEnvironment["INSTANCE_ID"] = id
        let worker = CommandWorker(
            instanceID: id, stopCommand: stopCommand, environment: stopEnvironment, logger: logger)
        guard started.status.isSuccess else {
            await worker.stop()
            throw Self.failure(request.name, started.status)
        }
        return worker
    }

    /// Runs the stop command for an instance another master started.
    public func reap(instanceID: String?, labels: [String: String]) async throws {
        let worker = labels[InstanceLabel.worker] ?? ""
        let environment: [Environment.Key: String?] = [
            "WORKER_NAME": worker, "INSTANCE_ID": instanceID, "INSTANCE_LABELS": Self.text(labels),
        ]
        let status = try await Self.shell(stopCommand, environment, capturing: false).status
        guard status.isSuccess else { throw CommandProvisionerError.stopFailed(name: worker, status: "\(status)") }
    }

    /// Labels as INSTANCE_LABELS gives them: `key=value` pairs, space-separated, in key order.
    static func text(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// What a start command's exit status means for the pool.
    static func failure(_ name: String, _ status: TerminationStatus) -> ProvisionerError {
        let message = "the start command for \(name) failed (\(status))"
        switch status {
        case .exited(75): return ProvisionerError(.quota, message + ": the provider refuses more for now")
        case .exited(78): return ProvisionerError(.permanent, message + ": it cannot work as configured")
        default: return ProvisionerError(.transient, message)
        }
    }

    static func shell(_ command: String, _ environment: [Environment.Key: String?], capturing: Bool) async throws
        -> (status: TerminationStatus, output: String?)
    {
        if capturing {
            let result = try await Subprocess.run(
                .path("/bin/sh"), arguments: ["-c", command], environment: .inherit.updating(environment),
                output: .string(limit: outputLimit), error: .discarded)
            return (result.terminationStatus, result.standardOutput)
        }
        let result = try await Subprocess.run(
            .path("/bin/sh"), arguments: ["-c", command], environment: .inherit.updating(environment),
            output: .discarded, error: .discarded)
        return (result.terminationStatus, nil)
    }
}

enum CommandProvisionerError: ProvisionerFailure {
    case stopFailed(name: String, status: String)

    var description: String {
        switch self {
        case .stopFailed(let name, let status): "the stop command for \(name) failed (\(status))"
        }
    }
}

/// A worker started by a command: stopped by the stop command; whether it died is seen by its connection.
struct CommandWorker: ProvisionedWorker {
    var instanceID: String?
    let stopCommand: String
    let environment: [Environment.Key: String?]
    let logger: Logger

    init(instanceID: String? = nil, stopCommand: String, environment: [Environment.Key: String?], logger: Logger) {
        self.instanceID = instanceID
        self.stopCommand = stopCommand
        self.environment = environment
        self.logger = logger
    }

    var hasExited: Bool { false }

    /// Runs the stop command in a task of its own, so it runs even when the caller was cancelled; a stop
    /// command that fails is logged, as the instance it was for may be left running.
    func stop() async {
        await Task { [stopCommand, environment, logger] in
            do {
                let status = try await CommandProvisioner.shell(stopCommand, environment, capturing: false).status
                if !status.isSuccess {
                    logger.warning("the pool's stop command failed", metadata: [LogKey.status: "\(status)"])
                }
            } catch {
                logger.warning("the pool's stop command could not be run", metadata: [LogKey.error: "\(error)"])
            }
        }.value
    }
}
