import GantryPools
import Synchronization

/// A provider the race tests script: each worker's start succeeds at once, hangs until cancelled, or fails with
/// a given error; its instances can be killed, listed by label and reaped, and every call is recorded. Named a
/// fake: it stands for a cloud that cannot run here.
final class ScriptedProvisioner: WorkerProvisioner {
    enum Start: Sendable {
        case succeed
        /// Waits until cancelled.
        case hang
        /// Waits until ``open()``, then succeeds.
        case gate
        case fail(ProvisionerError)
    }

    private struct State {
        var script: [String: Start] = [:]
        var instances: [String: ListedInstance] = [:]
        var starts: [String] = []
        var stops: [String] = []
        var reaps: [String] = []
        var cancelled: [String] = []
        var next = 0
        var open = false
        var reapFailure: ProvisionerError?
    }

    private let state = Mutex(State())

    var kind: String { "scripted" }

    /// Worker `name`'s starts from now on.
    func script(_ name: String, _ start: Start) {
        state.withLock { $0.script[name] = start }
    }

    /// Adds an instance as if a master had started it.
    func plant(_ id: String, labels: [String: String]) {
        state.withLock { $0.instances[id] = ListedInstance(id: id, labels: labels, running: true) }
    }

    /// Reaps from now on fail with `failure`, or succeed when it is nil.
    func failReaps(_ failure: ProvisionerError?) {
        state.withLock { $0.reapFailure = failure }
    }

    /// Lets the starts waiting at the gate go on.
    func open() {
        state.withLock { $0.open = true }
    }

    /// The instance ends by itself, as when its machine dies.
    func kill(_ id: String) {
        state.withLock { $0.instances[id]?.running = false }
    }

    var starts: [String] { state.withLock(\.starts) }
    var stops: [String] { state.withLock(\.stops) }
    var reaps: [String] { state.withLock(\.reaps) }
    var cancelled: [String] { state.withLock(\.cancelled) }
    /// The ids of the instances that exist, running or not.
    var existing: Set<String> { state.withLock { Set($0.instances.keys) } }

    func start(_ request: InstanceRequest) async throws -> any ProvisionedWorker {
        let behaviour = state.withLock { state in
            state.starts.append(request.name)
            return state.script[request.name] ?? .succeed
        }
        switch behaviour {
        case .gate:
            while !state.withLock(\.open) { try await Task.sleep(for: .milliseconds(5)) }
            return made(request)
        case .succeed:
            return made(request)
        case .hang:
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                state.withLock { $0.cancelled.append(request.name) }
                throw error
            }
            throw ProvisionerError(.transient, "woke up")
        case .fail(let error):
            throw error
        }
    }

    /// A new running instance for `request`.
    private func made(_ request: InstanceRequest) -> any ProvisionedWorker {
        let id = state.withLock { state in
            state.next += 1
            let id = "i-\(state.next)"
            state.instances[id] = ListedInstance(id: id, labels: request.labels, running: true)
            return id
        }
        return Instance(instanceID: id, provisioner: self)
    }

    func list(labels: [String: String]) async throws -> [ListedInstance]? {
        state.withLock { state in
            state.instances.values.filter { instance in labels.allSatisfy { instance.labels[$0.key] == $0.value } }
                .sorted { $0.id < $1.id }
        }
    }

    func reap(instanceID: String?, labels: [String: String]) async throws {
        try state.withLock { state in
            if let failure = state.reapFailure { throw failure }
            state.reaps.append(instanceID ?? labels[InstanceLabel.worker] ?? "")
            if let instanceID {
                state.instances[instanceID] = nil
            } else {
                state.instances = state.instances.filter { _, instance in
                    !labels.allSatisfy { instance.labels[$0.key] == $0.value }
                }
            }
        }
    }

    fileprivate func running(_ id: String) -> Bool {
        state.withLock { $0.instances[id]?.running == true }
    }

    fileprivate func stopped(_ id: String) {
        state.withLock { state in
            state.stops.append(id)
            state.instances[id] = nil
        }
    }

    private struct Instance: ProvisionedWorker {
        let instanceID: String?
        let provisioner: ScriptedProvisioner

        var hasExited: Bool { !provisioner.running(instanceID ?? "") }

        func stop() async {
            provisioner.stopped(instanceID ?? "")
        }
    }
}
