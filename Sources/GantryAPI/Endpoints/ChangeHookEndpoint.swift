import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// The largest webhook body read; GitHub caps its payloads at 25 MB.
    package static let maxHookBody = 25 * 1024 * 1024
    /// The most hook bodies read at once from senders not known to hold the hook's secret (every `base` one, and
    /// a GitHub one until its signature is checked at its end); each may hold `maxHookBody` in memory.
    package static let maxUnverifiedHookBodies = 8
    /// The seconds a sender turned away by `maxUnverifiedHookBodies` is asked to wait.
    package static let hookRetryAfter = 5

    /// `POST /change_hook/{dialect}` for the configured dialects: every change the request describes is
    /// stored in one transaction (and announced as `changes/new`), or, for a refused request, none.
    ///
    /// The headers are checked before the body is read, so a request without the secret is refused unread; an
    /// answer given before the whole body was read closes the connection.
    func addChangeHooks(to router: Router<APIRequestContext>) {
        let unverifiedBodies = HookBodyGate(capacity: Self.maxUnverifiedHookBodies)
        router.post("/change_hook/{dialect}") { request, context -> Response in
            let dialect = context.parameters.get("dialect") ?? ""
            // The base hook has no secret of its own: with authentication, its caller must be allowed to send
            // changes (the signed hooks check their secrets instead).
            if dialect == "base" {
                let caller = context.identity ?? .anonymous
                switch access.decide(.change, on: .any, for: caller) {
                case .allowed: break
                case .unauthenticated:
                    return APIResponse.error(.unauthorized, "log in, or send a token, to send changes")
                case .forbidden:
                    return APIResponse.error(.forbidden, "'\(caller.user ?? "anonymous")' may not send changes")
                }
            }
            return await APIResponse.answering(logger: logger) {
                try await receiveChanges(dialect, request: request, unverifiedBodies: unverifiedBodies)
            }
        }
    }

    private func receiveChanges(
        _ dialect: String,
        request: Request,
        unverifiedBodies: HookBodyGate
    ) async throws -> Response {
        let header = { (name: String) in request.header(name) }
        let hook: ChangeHook
        let admission: ChangeHook.Admission
        do throws(ChangeHookRefusal) {
            hook = try ChangeHook(dialect: dialect, config: changeHooks)
            admission = try hook.admit(header: header)
        } catch {
            return refuse(dialect, error, bodyUnread: true)
        }
        let declaredLength = header("Content-Length").flatMap { Int($0) }
        if let declaredLength, declaredLength > Self.maxHookBody {
            return refuse(dialect, .contentTooLarge, Self.tooLarge, bodyUnread: true)
        }
        guard admission.isVerified || unverifiedBodies.enter() else {
            return refuse(
                dialect, .serviceUnavailable, "too many change hook requests are being read; try again",
                bodyUnread: true, retryAfter: Self.hookRetryAfter)
        }
        defer { if !admission.isVerified { unverifiedBodies.leave() } }

        var signature = admission.signature
        let body: [UInt8]
        do throws(HookBodyFailure) {
            body = try await HookBody.read(
                request.body, declaredLength: declaredLength, limit: Self.maxHookBody, signature: &signature)
        } catch {
            switch error {
            case .tooLarge: return refuse(dialect, .contentTooLarge, Self.tooLarge, bodyUnread: true)
            case .unreadable: return refuse(dialect, .badRequest, "the request body is malformed", bodyUnread: true)
            }
        }
        let changes: [NewChange]
        do throws(ChangeHookRefusal) {
            changes = try hook.changes(body: body, signature: signature, header: header)
        } catch {
            return refuse(dialect, error, bodyUnread: false)
        }
        let ids = try await database.changes.addChanges(changes)
        return APIResponse.json(.ok, .object(["changes": .array(ids.map { .number(Double($0)) })]))
    }

    private static let tooLarge = "the request body is larger than \(maxHookBody) bytes"

    private func refuse(_ dialect: String, _ refusal: ChangeHookRefusal, bodyUnread: Bool) -> Response {
        let status: HTTPResponse.Status = refusal.kind == .forbidden ? .forbidden : .badRequest
        return refuse(dialect, status, refusal.message, bodyUnread: bodyUnread)
    }

    /// Logs the refusal and answers it, closing the connection when `bodyUnread`.
    private func refuse(
        _ dialect: String,
        _ status: HTTPResponse.Status,
        _ message: String,
        bodyUnread: Bool,
        retryAfter: Int? = nil
    ) -> Response {
        logger.warning(
            "change hook refused",
            metadata: [LogKey.hook: "\(dialect)", LogKey.status: "\(status.code)", LogKey.reason: "\(message)"])
        guard bodyUnread else { return APIResponse.error(status, message) }
        return ClosingResponse.error(status, message, retryAfter: retryAfter)
    }
}
