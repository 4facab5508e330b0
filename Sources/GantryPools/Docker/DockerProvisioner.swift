public import GantryModel
public import Logging

/// Workers in containers, through the Docker Engine API on a unix socket: Docker's, or the one
/// `podman system service` serves. The engine names each container; its labels say whose it is, so a master that
/// takes a pool over finds what the previous holder left. The worker finds its name, password and master in
/// WORKER_NAME, WORKER_PASSWORD and MASTER_URL; the password goes nowhere else.
public struct DockerProvisioner: WorkerProvisioner {
    /// What the containers run, and the engine that runs them.
    public let settings: DockerSettings
    let engine: DockerEngine
    /// Where failures nobody else hears of (a stop, a clean-up) are reported.
    let logger: Logger

    /// Nothing is asked of the engine until a worker starts: an engine that is down fails starts, not the master.
    public init(settings: DockerSettings, logger: Logger) {
        self.settings = settings
        engine = DockerEngine(socket: settings.socket)
        self.logger = logger
    }

    /// `docker`.
    public var kind: String { "docker" }

    /// Creates the worker's container and starts it. A container made for a start that then failed, or was
    /// cancelled, is removed before the failure is thrown: no half-made instance is left behind.
    public func start(_ request: InstanceRequest) async throws -> any ProvisionedWorker {
        let spec = DockerEngine.ContainerSpec(settings: settings, request: request)
        var logger = logger
        logger[metadataKey: LogKey.worker] = "\(request.name)"
        let id: String
        do {
            id = try await engine.create(spec)
        } catch {
            // A create refused for a quota or a missing image made nothing; any other (cut short, timed out,
            // cancelled) may have made the container all the same: it is found by its labels, which always include
            // the worker's name.
            if ((error as? ProvisionerError)?.kind ?? .transient) == .transient {
                await removeInBackground(labeled: spec.labels, logger: logger)
            }
            throw error
        }
        do {
            try await engine.start(id)
        } catch {
            await removeInBackground(id, logger: logger)
            throw error
        }
        logger.debug("pool container started", metadata: [LogKey.detail: "\(id)"])
        return DockerContainer(id: id, engine: engine, grace: settings.stopGrace, logger: logger)
    }

    /// The engine's containers carrying every one of `labels`, running or not.
    public func list(labels: [String: String]) async throws -> [ListedInstance]? {
        try await engine.list(labels: labels)
    }

    /// With an id, stops that container within the grace and removes it; without one, does so with every
    /// container carrying `labels` (the cluster's, the pool's and the worker's) and the pool's own.
    public func reap(instanceID: String?, labels: [String: String]) async throws {
        if let instanceID {
            try await engine.stopAndRemove(instanceID, grace: settings.stopGrace)
            return
        }
        let labels = settings.labels.merging(labels) { $1 }
        for container in try await engine.list(labels: labels) {
            try await engine.stopAndRemove(container.id, grace: settings.stopGrace)
        }
    }

    /// Removes the container in a task of its own, so a cancelled start still does.
    private func removeInBackground(_ id: String, logger: Logger) async {
        await Task { [engine] in
            do {
                try await engine.remove(id)
            } catch {
                logger.warning(
                    "a pool container that did not start could not be removed",
                    metadata: [LogKey.detail: "\(id)", LogKey.error: "\(error)"])
            }
        }.value
    }

    /// Removes every container carrying `labels`, in a task of its own, so a cancelled start still does.
    private func removeInBackground(labeled labels: [String: String], logger: Logger) async {
        await Task { [engine] in
            do {
                for container in try await engine.list(labels: labels) { try await engine.remove(container.id) }
            } catch {
                logger.warning(
                    "a container a failed create may have made could not be looked for or removed",
                    metadata: [LogKey.error: "\(error)"])
            }
        }.value
    }
}

/// A worker's container.
struct DockerContainer: ProvisionedWorker {
    let id: String
    let engine: DockerEngine
    let grace: Duration
    let logger: Logger

    var instanceID: String? { id }

    /// Whether it stopped or is gone, as the engine says. An engine that cannot be asked says nothing: a hiccup
    /// must not prune a live worker.
    var hasExited: Bool {
        get async {
            do {
                return try await !engine.isRunning(id)
            } catch {
                logger.debug(
                    "a pool container could not be inspected",
                    metadata: [LogKey.detail: "\(id)", LogKey.error: "\(error)"])
                return false
            }
        }
    }

    /// Stops it within its grace and removes it, in a task of its own so a cancelled caller does not cut that
    /// short. A failure is logged, as the container may be left behind.
    func stop() async {
        await Task { [engine, id, grace, logger] in
            do {
                try await engine.stopAndRemove(id, grace: grace)
            } catch {
                logger.warning(
                    "a pool container could not be removed",
                    metadata: [LogKey.detail: "\(id)", LogKey.error: "\(error)"])
            }
        }.value
    }
}
