import GantryPools
import Synchronization

/// The pools' view of their workers as a race test scripts it: which workers are attached and busy, set by the
/// test; every shutdown and new instance is recorded. Named a fake: it stands for workers' connections.
final class ScriptedWorkers: PoolWorkers {
    private struct State {
        var attached: [String: Bool] = [:]
        var instancesStarting: [String] = []
        var shutDowns: [String] = []
    }

    private let state = Mutex(State())

    /// Worker `name` is attached, `busy` or idle.
    func attach(_ name: String, busy: Bool = false) {
        state.withLock { $0.attached[name] = busy }
    }

    /// Worker `name`'s connection is cut.
    func cut(_ name: String) {
        state.withLock { $0.attached[name] = nil }
    }

    /// The workers whose new instances were announced, in order.
    var instancesStarting: [String] { state.withLock(\.instancesStarting) }
    var shutDowns: [String] { state.withLock(\.shutDowns) }

    func snapshot(of names: [String]) async -> [String: PoolWorkerView] {
        state.withLock { state in
            var views: [String: PoolWorkerView] = [:]
            for (index, name) in names.enumerated() {
                if let busy = state.attached[name] { views[name] = PoolWorkerView(id: index + 1, busy: busy) }
            }
            return views
        }
    }

    func shutDown(_ name: String, reason: String) async {
        state.withLock { state in
            state.shutDowns.append(name)
            state.attached[name] = nil
        }
    }

    func makeGraceful(_ name: String) async throws {}

    func instanceStarting(_ name: String) async {
        state.withLock { $0.instancesStarting.append(name) }
    }
}
