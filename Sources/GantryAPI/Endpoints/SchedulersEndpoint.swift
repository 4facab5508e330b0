import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let schedulerKeys: Set<String> = ["schedulerid", "name", "enabled", "master"]

    /// `GET /api/v2/schedulers` and `/api/v2/schedulers/{id}`; each scheduler carries the master that runs it
    /// (`null` when unclaimed), as in Buildbot.
    func addSchedulers(to router: Router<BasicRequestContext>) {
        collection(
            "/api/v2/schedulers", key: "schedulers", keys: Self.schedulerKeys, of: SchedulerField.self, on: router
        ) { [self] spec in
            let page = spec.select(from: try await database.schedulers.getSchedulers()) { $1.value(of: $0) }
            return Page(items: try await schedulerItems(page.items), total: page.total)
        }
        resource(
            "/api/v2/schedulers/{id}", key: "schedulers", keys: Self.schedulerKeys, of: SchedulerField.self,
            on: router, noun: "scheduler"
        ) { [self] id in
            guard let id = Int(id), let scheduler = try await database.schedulers.getScheduler(id) else { return nil }
            return try await schedulerItems([scheduler]).first
        }
    }

    private func schedulerItems(_ schedulers: [SchedulerInfo]) async throws -> [JSONValue] {
        let masters = Dictionary(
            uniqueKeysWithValues: try await database.masters.getMasters().items.map { ($0.id, $0) })
        return try schedulers.map { scheduler in
            .object([
                "schedulerid": .number(Double(scheduler.id)),
                "name": .string(scheduler.name),
                "enabled": .bool(scheduler.enabled),
                "master": try scheduler.masterID.flatMap { masters[$0] }.map(JSONValue.init(encoding:)) ?? .null,
            ])
        }
    }
}
