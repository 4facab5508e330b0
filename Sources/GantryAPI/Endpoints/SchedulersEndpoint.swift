import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let schedulerKeys: Set<String> = ["schedulerid", "name", "enabled", "master"]

    /// `GET /api/v2/schedulers` and `/api/v2/schedulers/{id}`; each scheduler carries the master that runs it
    /// (`null` when unclaimed), as in Buildbot.
    func addSchedulers(to router: Router<APIRequestContext>) {
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

    /// `POST /api/v2/schedulers/{id}` with the JSON-RPC method `enable` and `{"enabled": true|false}`. A
    /// disabled scheduler keeps its claim but adds no buildsets until enabled again.
    func addSchedulerControl(to router: Router<APIRequestContext>) {
        router.post("/api/v2/schedulers/{id}") { [self] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let call: JSONRPCCall
                switch try await JSONRPCCall.read(request) {
                case .success(let read): call = read
                case .failure(let failure): return failure.response()
                }
                let id = context.parameters.get("id").flatMap { Int($0) }
                guard let id, try await database.schedulers.getScheduler(id) != nil else {
                    return call.failure(
                        .init(.notFound, code: -32601, "no scheduler with id '\(id.map(String.init) ?? "")'"))
                }
                guard call.method == "enable" else {
                    return call.failure(
                        .init(.badRequest, code: -32601, "unknown method '\(call.method)'; use 'enable'"))
                }
                guard case .bool(let enabled)? = call.params["enabled"], call.params.count == 1 else {
                    return call.failure(.init(.badRequest, code: -32602, "params must be {\"enabled\": true or false}"))
                }
                do {
                    try await control.setSchedulerEnabled(id, enabled)
                } catch {
                    if let refusal = call.refusal(error) { return refusal }
                    if let unavailable = call.unavailable(error, logger: logger) { return unavailable }
                    throw error
                }
                return call.result(.null)
            }
        }
    }

    private func schedulerItems(_ schedulers: [SchedulerInfo]) async throws -> [JSONValue] {
        let masters = Dictionary(
            uniqueKeysWithValues: try await database.masters.getMasters().items.map { ($0.id, $0) })
        return schedulers.map { scheduler in scheduler.resource(master: scheduler.masterID.flatMap { masters[$0] }) }
    }
}
