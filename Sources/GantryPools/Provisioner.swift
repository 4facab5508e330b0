/// Starts and stops the machines or processes a pool's workers run on.
public protocol WorkerProvisioner: Sendable {
    /// Starts worker `name`, which is to connect to `master` (HOST:PORT) with `password`.
    func start(name: String, password: String, master: String) async throws -> any ProvisionedWorker
}

/// One started worker's process or instance.
public protocol ProvisionedWorker: Sendable {
    /// Whether it is gone by itself (the process died).
    var hasExited: Bool { get async }
    /// Stops it and waits until it is gone.
    func stop() async
}

/// A provisioner's failure whose description is written for operators: the pool's event log (and so the API)
/// shows it. Any other error is shown as a generic text, and logged in full.
protocol ProvisionerFailure: Error, CustomStringConvertible {}
