import GantryModel
import GantryPools
import GantryStorage
import Hummingbird

extension WebUI {
    /// How many of a pool's newest events its section shows; the whole log is at `/api/v2/pools/{name}/events`.
    static let poolEventsShown = 20
    /// How many of a pool's newest instances its section shows; more are at `/api/v2/pools/{name}/instances`.
    static let poolInstancesShown = 20

    /// `GET /pools`: each pool of this master's configuration, as `/api/v2/pools` shows it (the managing master,
    /// its workers by state, the requests waiting for it, start failures, why it is blocked, builders) with its
    /// newest instances and events.
    func addPoolPages(to router: Router<APIRequestContext>) {
        router.get("/pools") { [self] _, _ -> Response in
            await rendering {
                let statuses = try await pools?.status() ?? []
                var events: [String: [PoolEvent]] = [:]
                var instances: [String: [PoolInstance]] = [:]
                for status in statuses {
                    events[status.pool.name] = try await database.poolEvents.getPoolEvents(
                        status.pool.name, limit: Self.poolEventsShown)
                    instances[status.pool.name] = try await database.poolInstances.getInstances(
                        status.pool.name, limit: Self.poolInstancesShown)
                }
                let masters = try await masterNames(
                    statuses.compactMap(\.managedBy) + events.values.joined().compactMap(\.masterID))
                let rows = statuses.map {
                    Self.poolRow(
                        $0, instances: instances[$0.pool.name] ?? [], events: events[$0.pool.name] ?? [],
                        masters: masters)
                }
                return page(
                    "pools", title: "Pools", section: "pools", feed: ["pools/*/*", "workers/*/*"],
                    ["pools": rows, "empty": rows.isEmpty])
            }
        }
    }

    private static func poolRow(
        _ status: PoolManager.Status, instances: [PoolInstance], events: [PoolEvent], masters: [Int: String]
    ) -> [String: Any] {
        let counts = Dictionary(grouping: status.workers, by: \.state).mapValues(\.count)
        let manager = status.managedBy.map { masters[$0] ?? "master \($0)" }
        return [
            "name": status.pool.name, "builders": status.pool.builders.joined(separator: ", "),
            "managed": manager != nil, "manager": manager ?? "",
            "starting": counts[.starting] ?? 0, "idle": counts[.idle] ?? 0, "busy": counts[.busy] ?? 0,
            "maxWorkers": status.pool.maxWorkers, "minIdle": status.pool.minIdle,
            "queued": status.queued, "startFailures": status.startFailures,
            "workers": status.workers.map { worker in
                ["name": worker.name, "state": worker.state.rawValue, "stateClass": stateClass(worker.state)]
            },
            "hasWorkers": !status.workers.isEmpty,
            "blocked": status.blocked ?? false,
            "instances": instances.map { instance in
                [
                    "worker": instance.worker, "providerID": instance.providerID ?? "",
                    "state": instance.state.rawValue,
                    "stateClass": instanceClass(instance.state), "started": WebFormat.time(instance.startedAt),
                    "connected": instance.connectedAt.map(WebFormat.time) ?? "",
                    "stopped": instance.stoppedAt.map(WebFormat.time) ?? "", "detail": instance.detail ?? "",
                ]
            },
            "hasInstances": !instances.isEmpty,
            // Newest first: what happened last is what a reader looks for.
            "events": events.reversed().map { event in
                [
                    "time": WebFormat.time(event.time), "event": event.kind.rawValue, "worker": event.worker ?? "",
                    "detail": event.detail ?? "", "master": event.masterID.map { masters[$0] ?? "master \($0)" } ?? "",
                ]
            },
            "hasEvents": !events.isEmpty,
        ]
    }

    /// The badge colour of an instance's state: starting is pending, running is running.
    private static func instanceClass(_ state: PoolInstance.State) -> String {
        switch state {
        case .starting: "result-pending"
        case .running: "result-running"
        case .stopped: ""
        }
    }

    /// The badge colour of a pool worker's state: a start is pending, a busy worker is running a build.
    private static func stateClass(_ state: PoolManager.WorkerState) -> String {
        switch state {
        case .starting: "result-pending"
        case .idle: ""
        case .busy: "result-running"
        }
    }
}
