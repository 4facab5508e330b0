import Foundation
import GantryModel
import Hummingbird
import Logging
import NIOCore

/// Buildbot's control calls: `{"jsonrpc": "2.0", "method": ..., "params": {...}, "id": ...}` in, a `result` or
/// an `error` with the same id out.
struct JSONRPCCall {
    static let maxBody = 1024 * 1024

    var method: String
    var params: [String: JSONValue]
    var id: JSONValue

    /// Reads the call; a body that is not one is answered with the reason.
    static func read(_ request: Request) async throws -> Result<JSONRPCCall, JSONRPCFailure> {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            return .failure(JSONRPCFailure(.contentTooLarge, code: -32600, "the body is larger than \(maxBody) bytes"))
        } catch {
            // A malformed (chunked) body: the client's fault, never a 500.
            return .failure(JSONRPCFailure(.badRequest, code: -32700, "the body could not be read"))
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)),
            case .object(let call) = value
        else { return .failure(JSONRPCFailure(.badRequest, code: -32700, "the body must be a JSON-RPC call object")) }
        guard let method = call["method"]?.string else {
            return .failure(JSONRPCFailure(.badRequest, code: -32600, "the call names no method"))
        }
        var params: [String: JSONValue] = [:]
        switch call["params"] {
        case nil, .null?: break
        case .object(let object)?: params = object
        default: return .failure(JSONRPCFailure(.badRequest, code: -32602, "params must be an object"))
        }
        return .success(JSONRPCCall(method: method, params: params, id: call["id"] ?? .null))
    }

    func result(_ value: JSONValue) -> Response {
        APIResponse.json(.ok, .object(["jsonrpc": "2.0", "id": id, "result": value]))
    }

    func failure(_ failure: JSONRPCFailure) -> Response {
        failure.response(id: id)
    }

    /// The 401 or 403 answer to a call the access rules refused; `nil` for any other error.
    func refusal(_ error: any Error) -> Response? {
        guard let error = error as? GantryError, let status = APIResponse.accessStatus(error) else { return nil }
        var response = failure(JSONRPCFailure(status, code: -32000, error.message))
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    /// The 503 answer to a call refused before anything was written (``APIResponse/retryMessage(_:)``), logged;
    /// `nil` for any other error.
    func unavailable(_ error: any Error, logger: Logger) -> Response? {
        guard let error = error as? GantryError, let message = APIResponse.retryMessage(error) else { return nil }
        return unavailable(message, cause: error, logger: logger)
    }

    /// The 503 answer `message` to a call refused before anything was written, logged with its cause.
    func unavailable(_ message: String, cause: GantryError, logger: Logger) -> Response {
        logger.warning(
            "call not carried out; answered 503",
            metadata: [LogKey.rpcMethod: "\(method)", LogKey.error: "\(String(reflecting: cause))"])
        return failure(JSONRPCFailure(.serviceUnavailable, code: -32000, message))
    }
}

/// A JSON-RPC error, with the HTTP status it is sent with.
struct JSONRPCFailure: Error {
    var status: HTTPResponse.Status
    var code: Int
    var message: String
    var data: JSONValue?

    init(_ status: HTTPResponse.Status, code: Int, _ message: String, data: JSONValue? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.data = data
    }

    func response(id: JSONValue = .null) -> Response {
        var error: [String: JSONValue] = ["code": .number(Double(code)), "message": .string(message)]
        if let data { error["data"] = data }
        return APIResponse.json(status, .object(["jsonrpc": "2.0", "id": id, "error": .object(error)]))
    }
}
