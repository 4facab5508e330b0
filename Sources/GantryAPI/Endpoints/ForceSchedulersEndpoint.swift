import GantryModel
import GantryScheduling
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/forceschedulers` (each with its builders and parameters) and
    /// `POST /api/v2/forceschedulers/{name}` with the JSON-RPC method `force`: the buildset id and the request id
    /// per builder id, or every invalid parameter at once.
    func addForceSchedulers(to router: Router<APIRequestContext>) {
        router.get("/api/v2/forceschedulers") { [self] _, _ -> Response in
            let items = forceSchedulers.all.map(Self.describe)
            return APIResponse.collection("forceschedulers", items, total: items.count, fields: nil)
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

    private static func describe(_ scheduler: ForceScheduler) -> JSONValue {
        .object([
            "name": .string(scheduler.name),
            "builder_names": .array(scheduler.options.builderNames.map(JSONValue.string)),
            "all_fields": .array(
                scheduler.allParameters.map { parameter in
                    var field: [String: JSONValue] = [
                        "name": .string(parameter.name),
                        "type": .string(parameter.kind.typeName),
                        "label": .string(parameter.label ?? parameter.name),
                        "required": .bool(parameter.required),
                        "default": parameter.defaultValue ?? .null,
                    ]
                    if case .choice(let choices) = parameter.kind {
                        field["choices"] = .array(choices.map(JSONValue.string))
                    }
                    return .object(field)
                }),
        ])
    }
}

extension ForceParameter.Kind {
    /// The name Buildbot's web UI knows the field type by.
    var typeName: String {
        switch self {
        case .string: "text"
        case .text: "textarea"
        case .int: "int"
        case .boolean: "bool"
        case .choice: "list"
        case .username: "username"
        }
    }
}
