import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/audit` (`?target=build 12`, `?before=ID`, `?limit=N` up to 1000, 100 by default): the control
    /// actions carried out or refused, newest first: who (`user`, `source`), what (`action`, `target`,
    /// `detail`), when (`at`, seconds since 1970), from where (`address`) and the `outcome`.
    func addAudit(to router: Router<APIRequestContext>) {
        router.get("/api/v2/audit") { [self] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                try control.authorize(.audit, .any, "the audit log")
                let query = WebForm(query: request)
                let limit = try query.integer("limit", minimum: 1) ?? 100
                guard limit <= 1000 else { throw GantryError(.invalidArgument, "'limit' must be at most 1000") }
                let entries = try await database.audit.entries(
                    target: query.text("target"), before: try query.integer("before", minimum: 1), limit: limit)
                return APIResponse.collection("audit", entries.map(Self.resource), total: entries.count, fields: nil)
            }
        }
    }

    static func resource(_ entry: AuditEntry) -> JSONValue {
        .object([
            "id": .number(Double(entry.id)),
            "at": .number(entry.at.timeIntervalSince1970.rounded()),
            "user": entry.user.map(JSONValue.string) ?? .null,
            "source": .string(entry.source),
            "action": .string(entry.action),
            "target": .string(entry.target),
            "address": entry.address.map(JSONValue.string) ?? .null,
            "outcome": .string(entry.outcome),
            "detail": entry.detail.map(JSONValue.string) ?? .null,
        ])
    }
}
