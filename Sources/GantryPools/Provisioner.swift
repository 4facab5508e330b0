/// Starts and stops the machines or processes a pool's workers run on.
///
/// Every instance a provisioner starts is recorded in the database before it starts (``PoolInstance``), with the
/// labels of ``InstanceRequest/labels``, so the master that takes a pool over finds what the previous holder left:
/// by the recorded provider ids, and by ``list(labels:)`` for providers that can list.
public protocol WorkerProvisioner: Sendable {
    /// The provisioner's type as the configuration names it (`local`, `command`, `docker`, `ssh`).
    var kind: String { get }
    /// Starts the worker `request` names. Errors other than ``ProvisionerError`` count as transient.
    func start(_ request: InstanceRequest) async throws -> any ProvisionedWorker
    /// The instances carrying every one of `labels`, alive or not; `nil` when the provider cannot list them.
    func list(labels: [String: String]) async throws -> [ListedInstance]?
    /// Removes an instance this master holds no handle for (one a master that died left behind), by the
    /// provider's id when it was recorded, else by its labels: the cluster's, the pool's and the worker's.
    func reap(instanceID: String?, labels: [String: String]) async throws
}

extension WorkerProvisioner {
    public func list(labels: [String: String]) async throws -> [ListedInstance]? { nil }
}

/// What a start needs: the worker's name and password, where it connects, and the labels its instance carries.
public struct InstanceRequest: Sendable, Hashable {
    /// The worker's name, `POOL-N`.
    public var name: String
    public var password: String
    /// The worker port, as HOST:PORT.
    public var master: String
    /// `gantry.cluster`, `gantry.pool`, `gantry.worker`, `gantry.master` and `gantry.epoch` (the pool's claim).
    public var labels: [String: String]

    public init(name: String, password: String, master: String, labels: [String: String] = [:]) {
        self.name = name
        self.password = password
        self.master = master
        self.labels = labels
    }
}

/// The label keys every instance carries.
public enum InstanceLabel {
    public static let cluster = "gantry.cluster"
    public static let pool = "gantry.pool"
    public static let worker = "gantry.worker"
    public static let master = "gantry.master"
    public static let epoch = "gantry.epoch"
}

/// An instance a provider listed.
public struct ListedInstance: Sendable, Hashable {
    /// The provider's id.
    public var id: String
    public var labels: [String: String]
    /// Whether it still runs.
    public var running: Bool

    public init(id: String, labels: [String: String], running: Bool) {
        self.id = id
        self.labels = labels
        self.running = running
    }
}

/// One started worker's process or instance.
public protocol ProvisionedWorker: Sendable {
    /// The provider's id of the instance (a container id, `host:pid`), recorded with the instance; `nil` when the
    /// provider has none.
    var instanceID: String? { get }
    /// Whether it is gone by itself (the process died, the container exited): the provider's check, asked at
    /// every look while the worker starts and runs.
    var hasExited: Bool { get async }
    /// Stops it and waits until it is gone.
    func stop() async
}

/// A provisioner's failure, by what the pool should do about it. Its message is written for operators: the
/// pool's event log (and so the API and the UI) shows it.
public struct ProvisionerError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The provider refuses more instances for now (a quota, a rate limit): the pool tries again later, and
        /// it is not counted as a failed start.
        case quota
        /// It can never work as configured (the image is missing): the pool stops starting workers until the
        /// configuration changes, and says why.
        case permanent
        /// It may work next time: a failed start.
        case transient
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// A provisioner's failure whose description is written for operators: the pool's event log (and so the API)
/// shows it. Any other error is shown as a generic text, and logged in full.
protocol ProvisionerFailure: Error, CustomStringConvertible {
    /// What the pool does about it.
    var kind: ProvisionerError.Kind { get }
}

extension ProvisionerFailure {
    var kind: ProvisionerError.Kind { .transient }
}

extension ProvisionerError: ProvisionerFailure {}
