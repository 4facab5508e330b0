import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// The most entries the audit page lists at once.
    private static let auditPageSize = 100

    /// `GET /audit` (`?target=build 12`, `?before=ID`): every control action carried out or refused, newest first,
    /// with who, from where, what, on what, when and how it ended; older entries a page at a time.
    func addAuditPages(to router: Router<APIRequestContext>) {
        router.get("/audit") { [self] request, _ -> Response in
            await rendering {
                try control.authorize(.audit, .any, "the audit log")
                let query = WebForm(query: request)
                let target = query.text("target")
                let entries = try await database.audit.entries(
                    target: target, before: try query.integer("before", minimum: 1), limit: Self.auditPageSize)
                let rows = entries.map { entry -> [String: Any] in
                    Self.item([
                        "id": entry.id, "at": WebFormat.time(entry.at), "user": entry.user ?? "anonymous",
                        "source": entry.source, "action": entry.action, "target": entry.target,
                        "targetLink": WebForm.link("/audit", [("target", entry.target)]),
                        "address": entry.address, "outcome": entry.outcome, "detail": entry.detail,
                        "done": entry.outcome == "done",
                    ])
                }
                let older =
                    entries.count == Self.auditPageSize
                    ? entries.last.map { WebForm.link("/audit", [("target", target), ("before", String($0.id))]) }
                    : nil
                return page(
                    "audit", title: "Audit log", section: "audit", feed: [],
                    Self.context([
                        "entries": rows, "empty": rows.isEmpty, "target": target, "older": older,
                    ]))
            }
        }
    }
}
