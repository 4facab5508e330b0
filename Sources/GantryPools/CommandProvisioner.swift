import Foundation
import GantryModel
public import Logging
import Subprocess
import Synchronization

/// Workers on machines the master does not run itself (VMs, containers, ssh hosts): `start` and `stop` are
/// shell commands run with WORKER_NAME, WORKER_PASSWORD and MASTER_URL (HOST:PORT of the worker port) in
/// their environment. A start command that fails (or is cancelled, having hung past the start timeout) is a failed
/// start, and the stop command runs for it, so a half-made instance is not left behind: stop commands must accept
/// a worker that never fully started.
public struct CommandProvisioner: WorkerProvisioner {
    public let startCommand: String
    public let stopCommand: String
    /// Where a stop command that failed is reported: nothing else hears of it.
    let logger: Logger

    public init(start: String, stop: String, logger: Logger) {
        startCommand = start
        stopCommand = stop
        self.logger = logger
    }

    public func start(name: String, password: String, master: String) async throws -> any ProvisionedWorker {
        let environment: [Environment.Key: String?] = [
            "WORKER_NAME": name, "WORKER_PASSWORD": password, "MASTER_URL": master,
        ]
        var logger = logger
        logger[metadataKey: LogKey.worker] = "\(name)"
        let worker = CommandWorker(stopCommand: stopCommand, environment: environment, logger: logger)
        let status: TerminationStatus
        do {
            status = try await Self.shell(startCommand, environment)
        } catch {
            await worker.stop()
            throw error
        }
        guard status.isSuccess else {
            await worker.stop()
            throw CommandProvisionerError.startFailed(name: name, status: "\(status)")
        }
        return worker
    }

    static func shell(_ command: String, _ environment: [Environment.Key: String?]) async throws
        -> TerminationStatus
    {
        try await Subprocess.run(
            .path("/bin/sh"), arguments: ["-c", command], environment: .inherit.updating(environment),
            output: .discarded, error: .discarded
        ).terminationStatus
    }
}

enum CommandProvisionerError: ProvisionerFailure {
    case startFailed(name: String, status: String)

    var description: String {
        switch self {
        case .startFailed(let name, let status): "the start command for \(name) failed (\(status))"
        }
    }
}

/// A worker started by a command: stopped by the stop command; whether it died is seen by its connection.
struct CommandWorker: ProvisionedWorker {
    let stopCommand: String
    let environment: [Environment.Key: String?]
    let logger: Logger

    var hasExited: Bool { false }

    /// Runs the stop command in a task of its own, so it runs even when the caller was cancelled; a stop
    /// command that fails is logged, as the instance it was for may be left running.
    func stop() async {
        await Task { [stopCommand, environment, logger] in
            do {
                let status = try await CommandProvisioner.shell(stopCommand, environment)
                if !status.isSuccess {
                    logger.warning("the pool's stop command failed", metadata: [LogKey.status: "\(status)"])
                }
            } catch {
                logger.warning("the pool's stop command could not be run", metadata: [LogKey.error: "\(error)"])
            }
        }.value
    }
}
