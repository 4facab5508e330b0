import Foundation
import GantryModel
import GantryStorage
import Hummingbird
import Logging

/// The JSON answers of the HTTP API: Buildbot's collection envelope and one error shape.
enum APIResponse {
    /// `{"<key>": [...], "meta": {"total": N}}`, each item cut down to `fields` when the query named some.
    static func collection(_ key: String, _ items: [JSONValue], total: Int, fields: Set<String>?) -> Response {
        let projected = items.map { item -> JSONValue in
            guard let fields, case .object(let object) = item else { return item }
            return .object(object.filter { fields.contains($0.key) })
        }
        return json(.ok, .object([key: .array(projected), "meta": .object(["total": .number(Double(total))])]))
    }

    /// `{"error": message}`.
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, .object(["error": .string(message)]))
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: every case maps to a JSON primitive or container.
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"unencodable response"}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// Runs `handler`, answering a refused request (bad option, unknown id) with its message, one that wrote
    /// nothing and may pass when sent again with 503, and any other failure, whose outcome is unknown, with 500
    /// and a line in the log. Only a `GantryError`'s message is ever shown; any other error's text stays in the
    /// log, as it may name the master's internals.
    static func answering(logger: Logger, _ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch let error as GantryError where error.code == .invalidArgument {
            return Self.error(.badRequest, error.message)
        } catch let error as GantryError where error.code == .notFound {
            return Self.error(.notFound, error.message)
        } catch let error as GantryError where accessStatus(error) != nil {
            return Self.error(accessStatus(error) ?? .forbidden, error.message)
        } catch let error as GantryError where retryMessage(error) != nil {
            logger.warning(
                "API request not carried out; answered 503", metadata: [LogKey.error: "\(String(reflecting: error))"])
            return Self.error(.serviceUnavailable, retryMessage(error) ?? error.message)
        } catch {
            let gantryError = error as? GantryError
            let detail = gantryError.map { String(reflecting: $0) } ?? DatabaseFailure.reason(error)
            logger.error("API request failed", metadata: [LogKey.error: "\(detail)"])
            return Self.error(.internalServerError, gantryError?.message ?? internalError)
        }
    }

    /// 401 for a caller who must log in first, 403 for one the rules do not allow; `nil` for other errors.
    static func accessStatus(_ error: GantryError) -> HTTPResponse.Status? {
        switch error.code {
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        default: nil
        }
    }

    /// The whole answer to a failure that is not a `GantryError`.
    static let internalError = "internal error; the master's log has the details"
}

extension APIResponse {
    /// The answer to a request refused before anything was written, which the same request may pass when sent
    /// again (503): the database could not be reached, or the service it wrote for moved to another master. `nil`
    /// for any other error.
    static func retryMessage(_ error: GantryError) -> String? {
        switch error.code {
        // The driver's text (which may name the database's host) stays in the log.
        case .databaseUnavailable: "the database is unavailable; nothing was written; try again"
        case .fenced: "the master running the service changed during the request; nothing was written, try again"
        case .stopped: error.message
        default: nil
        }
    }
}
