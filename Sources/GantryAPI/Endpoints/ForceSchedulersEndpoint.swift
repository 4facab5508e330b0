import GantryModel
import GantryScheduling
import GantryStorage
import Hummingbird

extension HTTPAPI {
    static let forceSchedulerKeys: Set<String> = [
        "name", "button_name", "label", "builder_names", "enabled", "all_fields",
    ]

    /// `GET /api/v2/forceschedulers`, `/forceschedulers/{name}` and `/builders/{id or name}/forceschedulers` (each
    /// scheduler with its builders and its form's fields, in Buildbot's shape), and
    /// `POST /api/v2/forceschedulers/{name}` with the JSON-RPC method `force`: the buildset id and the request id
    /// per builder id, or every invalid parameter at once.
    func addForceSchedulers(to router: Router<APIRequestContext>) {
        collection(
            "/api/v2/forceschedulers", key: "forceschedulers", keys: Self.forceSchedulerKeys,
            of: ForceSchedulerField.self, on: router
        ) { [self] spec in
            try await forceSchedulerPage(spec, forceSchedulers.all)
        }
        parameterizedCollection(
            "/api/v2/forceschedulers/{name}", key: "forceschedulers", keys: Self.forceSchedulerKeys,
            of: ForceSchedulerField.self, on: router, withProperties: false
        ) { [self] parameters, _, _ in
            let name = parameters.get("name") ?? ""
            guard let scheduler = forceSchedulers[name] else {
                throw GantryError(.notFound, "no force scheduler '\(name)'")
            }
            return try await forceSchedulerPage(ResultSpec(), [scheduler])
        }
        nestedCollection(
            "/api/v2/builders/{id}/forceschedulers", key: "forceschedulers", keys: Self.forceSchedulerKeys,
            of: ForceSchedulerField.self, on: router, noun: "builder"
        ) { [self] key, spec in
            guard let builder = try await self.builder(key) else { return nil }
            let serving = forceSchedulers.all.filter { $0.options.builderNames.contains(builder.name) }
            return try await forceSchedulerPage(spec, serving)
        }
        router.post("/api/v2/forceschedulers/{name}") { [self] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let call: JSONRPCCall
                switch try await JSONRPCCall.read(request) {
                case .success(let read): call = read
                case .failure(let failure): return failure.response()
                }
                let name = context.parameters.get("name") ?? ""
                guard let scheduler = forceSchedulers[name] else {
                    return call.failure(.init(.notFound, code: -32601, "no force scheduler named '\(name)'"))
                }
                guard call.method == "force" else {
                    return call.failure(
                        .init(.badRequest, code: -32601, "unknown method '\(call.method)'; use 'force'"))
                }
                return try await force(scheduler, call)
            }
        }
    }

    private func force(_ scheduler: ForceScheduler, _ call: JSONRPCCall) async throws -> Response {
        var arguments = call.params
        let refused = JSONRPCFailure(.badRequest, code: -32602, "owner must be a string, builderNames a list of names")
        let owner = arguments.removeValue(forKey: "owner")
        if let owner, owner.string == nil { return call.failure(refused) }
        var builderNames: [String]?
        if let value = arguments.removeValue(forKey: "builderNames") {
            guard case .array(let items) = value, items.allSatisfy({ $0.string != nil }) else {
                return call.failure(refused)
            }
            builderNames = items.compactMap(\.string)
        }
        // Buildbot's UI forces the builder whose page it is on by id, as a number or its text.
        if let value = arguments.removeValue(forKey: "builderid") {
            let id = value.integer ?? value.string.flatMap { Int($0) }
            let builders = try await database.builders.getBuilders()
            guard let name = builders.first(where: { $0.id == id })?.name,
                scheduler.options.builderNames.contains(name)
            else {
                return call.failure(
                    JSONRPCFailure(
                        .badRequest, code: -32602,
                        "builderid must name a builder of force scheduler '\(scheduler.name)'"))
            }
            builderNames = [name]
        }
        do {
            // With authentication, the owner is the caller, whatever the call says.
            let added = try await control.force(
                scheduler.name, builders: builderNames ?? scheduler.options.builderNames
            ) { caller in
                try await scheduler.force(
                    owner: caller ?? owner?.string, builderNames: builderNames, arguments: arguments)
            }
            var requests: [String: JSONValue] = [:]
            for (builderID, requestID) in added.requestIDs { requests[String(builderID)] = .number(Double(requestID)) }
            return call.result([.number(Double(added.buildsetID)), .object(requests)])
        } catch let refusal as ForceScheduler.Refusal {
            let errors = refusal.errors.sorted { $0.key < $1.key }
            return call.failure(
                .init(
                    .badRequest, code: -32602,
                    errors.map { "\($0.key): \($0.value)" }.joined(separator: "; "),
                    data: .object(refusal.errors.mapValues(JSONValue.string))))
        } catch let error as GantryError where error.code == .notFound {
            return call.failure(.init(.serviceUnavailable, code: -32000, error.message))
        } catch let error as GantryError where error.code == .conflict {
            return call.failure(.init(.conflict, code: -32000, error.message))
        } catch let error as GantryError where error.code == .fenced {
            // The claim read first was taken over before the buildset was written (a failover).
            let moved = "force scheduler '\(scheduler.name)' moved to another master during the request"
            return call.unavailable("\(moved); nothing was written, try again", cause: error, logger: logger)
        } catch {
            if let refusal = call.refusal(error) { return refusal }
            if let unavailable = call.unavailable(error, logger: logger) { return unavailable }
            throw error
        }
    }

    /// One page of `schedulers` as `spec` asks, each enabled or not as the database says (one the database does not
    /// know yet is enabled).
    private func forceSchedulerPage(_ spec: ResultSpec<ForceSchedulerField>, _ schedulers: [ForceScheduler])
        async throws -> Page<JSONValue>
    {
        let disabled = Set(try await database.schedulers.getSchedulers().filter { !$0.enabled }.map(\.name))
        let items = schedulers.map { (scheduler: $0, enabled: !disabled.contains($0.name)) }
        let page = spec.select(from: items) { item, field -> QueryValue? in
            switch field {
            case .name, .buttonName, .label: .string(item.scheduler.name)
            case .enabled: .bool(item.enabled)
            }
        }
        return Page(items: page.items.map { $0.scheduler.resource(enabled: $0.enabled) }, total: page.total)
    }
}
