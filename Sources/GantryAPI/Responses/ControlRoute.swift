import GantryModel
import Hummingbird

extension HTTPAPI {
    /// `POST path` taking JSON-RPC calls of `methods`, each with at most a `reason` text parameter. `handle`
    /// gets the path's `{id}`, the method and the reason, and returns the call's result; a `GantryError` it
    /// throws becomes the JSON-RPC error with its HTTP status (404 not found, 409 conflict, 503 when nothing was
    /// written and the call may pass when made again).
    func controlRoute(
        _ path: RouterPath, methods: [String], on router: Router<APIRequestContext>,
        _ handle: @escaping @Sendable (_ id: String, _ method: String, _ reason: String?) async throws -> JSONValue
    ) {
        router.post(path) { [logger] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let call: JSONRPCCall
                switch try await JSONRPCCall.read(request) {
                case .success(let read): call = read
                case .failure(let failure): return failure.response()
                }
                guard methods.contains(call.method) else {
                    let known = methods.map { "'\($0)'" }.joined(separator: ", ")
                    return call.failure(
                        .init(.badRequest, code: -32601, "unknown method '\(call.method)'; use \(known)"))
                }
                var params = call.params
                let reason = params.removeValue(forKey: "reason")
                guard params.isEmpty, reason == nil || reason?.string != nil else {
                    return call.failure(.init(.badRequest, code: -32602, "params may only be {\"reason\": text}"))
                }
                do {
                    return call.result(
                        try await handle(context.parameters.get("id") ?? "", call.method, reason?.string))
                } catch let error as GantryError {
                    if let refusal = call.refusal(error) { return refusal }
                    if let unavailable = call.unavailable(error, logger: logger) { return unavailable }
                    let status: HTTPResponse.Status =
                        switch error.code {
                        case .notFound: .notFound
                        case .conflict, .alreadyClaimed: .conflict
                        case .invalidArgument: .badRequest
                        default: .internalServerError
                        }
                    return call.failure(.init(status, code: -32000, error.message))
                }
            }
        }
    }
}
