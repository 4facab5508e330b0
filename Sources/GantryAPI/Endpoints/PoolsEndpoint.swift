import Foundation
import GantryModel
import GantryPools
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/pools`, `/api/v2/pools/{name}` (settings, the managing master, the workers and their states,
    /// queue depth, start failures, why it is blocked), `/api/v2/pools/{name}/events` (the pool's event log from
    /// the database, whichever master recorded it, oldest first) and `/api/v2/pools/{name}/instances` (what it
    /// started, newest first: provider ids, states and times; `limit`, default 100, at most 1000).
    func addPools(to router: Router<APIRequestContext>) {
        router.get("/api/v2/pools") { [self] _, _ -> Response in
            await APIResponse.answering(logger: logger) {
                let items = try await (pools?.status() ?? []).map(Self.poolItem)
                return APIResponse.collection("pools", items, total: items.count, fields: nil)
            }
        }
        router.get("/api/v2/pools/{name}") { [self] _, context -> Response in
            await APIResponse.answering(logger: logger) {
                let name = context.parameters.get("name") ?? ""
                guard let status = try await pools?.status(of: name).first else {
                    throw GantryError(.notFound, "no pool named '\(name)'")
                }
                return APIResponse.collection("pools", [Self.poolItem(status)], total: 1, fields: nil)
            }
        }
        router.get("/api/v2/pools/{name}/events") { [self] _, context -> Response in
            await APIResponse.answering(logger: logger) {
                let name = context.parameters.get("name") ?? ""
                let events = try await database.poolEvents.getPoolEvents(name)
                let configured = await pools?.configures(name) ?? false
                guard configured || !events.isEmpty else { throw GantryError(.notFound, "no pool named '\(name)'") }
                let items = events.map(\.resource)
                return APIResponse.collection("events", items, total: items.count, fields: nil)
            }
        }
        addPoolInstances(to: router)
    }

    private func addPoolInstances(to router: Router<APIRequestContext>) {
        router.get("/api/v2/pools/{name}/instances") { [self] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let name = context.parameters.get("name") ?? ""
                let text = request.uri.queryParameters["limit"].map(String.init)
                guard let limit = text.map({ Int($0) }) ?? 100, (0...PoolInstancesConnector.kept).contains(limit) else {
                    throw GantryError(
                        .invalidArgument, "limit must be a number from 0 to \(PoolInstancesConnector.kept)")
                }
                let instances = try await database.poolInstances.getInstances(name, limit: limit)
                let configured = await pools?.configures(name) ?? false
                guard configured || !instances.isEmpty else { throw GantryError(.notFound, "no pool named '\(name)'") }
                let items = instances.map(\.resource)
                return APIResponse.collection("instances", items, total: items.count, fields: nil)
            }
        }
    }

    private static func poolItem(_ status: PoolManager.Status) -> JSONValue {
        var counts = ["starting": 0, "idle": 0, "busy": 0]
        for worker in status.workers { counts[worker.state.rawValue, default: 0] += 1 }
        let states = counts.mapValues { JSONValue.number(Double($0)) }
        return .object([
            "name": .string(status.pool.name), "builders": .array(status.pool.builders.map(JSONValue.string)),
            "masterid": status.managedBy.map { .number(Double($0)) } ?? .null,
            "max_workers": .number(Double(status.pool.maxWorkers)), "min_idle": .number(Double(status.pool.minIdle)),
            "workers": .array(
                status.workers.map { .object(["name": .string($0.name), "state": .string($0.state.rawValue)]) }),
            "workers_by_state": .object(states), "queued": .number(Double(status.queued)),
            "start_failures": .number(Double(status.startFailures)),
            "blocked": status.blocked.map(JSONValue.string) ?? .null,
        ])
    }
}
