import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let workerKeys: Set<String> = [
        "workerid", "name", "workerinfo", "paused", "pause_reason", "graceful", "configured_on", "connected_to",
    ]

    /// `GET /api/v2/workers` and `/api/v2/workers/{id or name}`, with where each worker is configured and
    /// connected.
    func addWorkers(to router: Router<APIRequestContext>) {
        collection("/api/v2/workers", key: "workers", keys: Self.workerKeys, of: WorkerField.self, on: router) {
            [database] spec in
            let page = spec.select(from: try await database.workers.getWorkers()) { $1.value(of: $0) }
            return Page(items: page.items.map(\.resource), total: page.total)
        }
        resource(
            "/api/v2/workers/{id}", key: "workers", keys: Self.workerKeys, of: WorkerField.self, on: router,
            noun: "worker"
        ) { [self] key in
            try await worker(key).map(\.resource)
        }
    }

    /// The worker with id or name `key`.
    func worker(_ key: String) async throws -> Worker? {
        if let id = Int(key) {
            try await database.workers.getWorker(id)
        } else {
            try await database.workers.getWorker(named: key)
        }
    }
}
