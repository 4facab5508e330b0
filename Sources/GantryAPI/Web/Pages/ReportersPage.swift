import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// How many of a reporter's newest deliveries its section lists at once.
    private static let deliveriesShown = 50

    /// `GET /reporters` (`?reporter=NAME`, with it `?before=ID`): each reporter, as `/api/v2/reporters` shows it
    /// (the master running it, its outbox by state, its last delivery and last error), then the newest deliveries
    /// of each, or of the one named, older ones a page at a time, failures marked.
    ///
    /// No feed event marks a delivery (they are written after the events they report), so the page has no live
    /// refresh; reloading it shows the outbox as it is.
    func addReporterPages(to router: Router<APIRequestContext>) {
        router.get("/reporters") { [self] request, _ -> Response in
            await rendering {
                let query = WebForm(query: request)
                let chosen = query.text("reporter")
                let before = try query.integer("before", minimum: 1)
                let statuses = try await database.reporters.statuses()
                var shown = statuses
                if let chosen {
                    guard let status = statuses.first(where: { $0.name == chosen }) else {
                        throw GantryError(.notFound, "no reporter named '\(chosen)'")
                    }
                    shown = [status]
                }
                let masters = try await masterNames(shown.compactMap(\.masterID))
                var sections: [[String: Any]] = []
                for status in shown {
                    let deliveries = try await database.reporters.deliveries(
                        reporter: status.name, limit: Self.deliveriesShown, before: chosen == nil ? nil : before)
                    sections.append(Self.deliveriesSection(status, deliveries))
                }
                return page(
                    "reporters", title: chosen.map { "Reporter \($0)" } ?? "Reporters", section: "reporters",
                    feed: [],
                    Self.context([
                        "reporters": shown.map { Self.reporterRow($0, masters: masters) }, "sections": sections,
                        "empty": shown.isEmpty, "chosen": chosen,
                    ]))
            }
        }
    }

    private static func reporterRow(_ status: ReporterStatus, masters: [Int: String]) -> [String: Any] {
        let master: String? = status.masterID.map { masters[$0] ?? "master \($0)" }
        return item([
            "id": status.id, "name": status.name, "link": link(status.name), "master": master,
            "pending": status.pending, "delivered": status.delivered,
            "failed": status.failed, "anyFailed": status.failed > 0,
            "interrupted": status.interrupted, "anyInterrupted": status.interrupted > 0,
            "lastDelivered": status.lastDeliveredAt.map(WebFormat.time),
            "lastError": status.lastError, "lastErrorAt": status.lastErrorAt.map(WebFormat.time),
        ])
    }

    /// A reporter's newest `deliveries`, with a link to the older ones when there may be more.
    private static func deliveriesSection(_ status: ReporterStatus, _ deliveries: [Delivery]) -> [String: Any] {
        let rows = deliveries.map { delivery -> [String: Any] in
            // When it last moved: delivered, failed (for now or for good), or queued.
            let moved = delivery.deliveredAt ?? delivery.lastErrorAt ?? delivery.createdAt
            let answer: String? = delivery.status.map { String($0) }
            return item([
                "id": delivery.id, "time": WebFormat.time(moved), "target": delivery.target,
                "state": delivery.state.rawValue, "stateClass": stateClass(delivery.state),
                "attempts": delivery.attempts, "status": answer, "error": delivery.lastError,
            ])
        }
        let older: String? =
            deliveries.count == deliveriesShown
            ? deliveries.last.map {
                WebForm.link("/reporters", [("reporter", status.name), ("before", String($0.id))])
            }
            : nil
        return item([
            "id": status.id, "name": status.name, "link": link(status.name), "deliveries": rows,
            "hasDeliveries": !deliveries.isEmpty, "older": older,
        ])
    }

    /// The page of reporter `name` alone.
    private static func link(_ name: String) -> String {
        WebForm.link("/reporters", [("reporter", name)])
    }

    /// The badge colour of a delivery's state, as a build's result of the same sense is shown.
    private static func stateClass(_ state: DeliveryState) -> String {
        switch state {
        case .pending: "result-pending"
        case .sending: "result-running"
        case .delivered: "result-success"
        case .failed: "result-failure"
        case .superseded: "result-skipped"
        case .interrupted: "result-exception"
        }
    }
}
