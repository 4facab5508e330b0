import Foundation
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

    public init(start: String, stop: String) {
        startCommand = start
        stopCommand = stop
    }

    public func start(name: String, password: String, master: String) async throws -> any ProvisionedWorker {
        let environment: [Environment.Key: String?] = [
            "WORKER_NAME": name, "WORKER_PASSWORD": password, "MASTER_URL": master,
        ]
        let worker = CommandWorker(stopCommand: stopCommand, environment: environment)
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

enum CommandProvisionerError: Error, CustomStringConvertible {
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

    var hasExited: Bool { false }

    /// Runs the stop command in a task of its own, so it runs even when the caller was cancelled.
    func stop() async {
        await Task { [stopCommand, environment] in
            _ = try? await CommandProvisioner.shell(stopCommand, environment)
        }.value
    }
}
