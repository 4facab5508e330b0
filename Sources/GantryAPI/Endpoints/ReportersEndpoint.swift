import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/reporters`: each reporter with the master running it (`masterid`, null when none), the last
    /// feed event it has turned into deliveries (`cursor`, null until it first ran) and its outbox: `pending`,
    /// `failed`, `interrupted` and `delivered` deliveries, when it last delivered, its newest error and when
    /// (`last_delivered_at`, `last_error`, `last_error_at`; times in seconds since 1970).
    ///
    /// `GET /api/v2/reporters/{name}/deliveries` (`?before=ID`, `?limit=N` up to 1000, 100 by default): the
    /// reporter's deliveries, newest first, with how each went. Never their payloads: a mail's payload names its
    /// recipients, which a reader of the build farm need not learn.
    func addReporters(to router: Router<APIRequestContext>) {
        router.get("/api/v2/reporters") { [self] _, _ -> Response in
            await APIResponse.answering(logger: logger) {
                let items = try await database.reporters.statuses().map(Self.reporterItem)
                return APIResponse.collection("reporters", items, total: items.count, fields: nil)
            }
        }
        router.get("/api/v2/reporters/{name}/deliveries") { [self] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let name = WebUI.pathParameter("name", of: context)
                let query = WebForm(query: request)
                let limit = try query.integer("limit", minimum: 1) ?? 100
                guard limit <= ReportersConnector.maxLimit else {
                    throw GantryError(.invalidArgument, "'limit' must be at most \(ReportersConnector.maxLimit)")
                }
                let before = try query.integer("before", minimum: 1)
                // An unknown name would read as a reporter that delivered nothing.
                guard try await database.reporters.statuses().contains(where: { $0.name == name }) else {
                    throw GantryError(.notFound, "no reporter named '\(name)'")
                }
                let deliveries = try await database.reporters.deliveries(reporter: name, limit: limit, before: before)
                return APIResponse.collection(
                    "deliveries", deliveries.map(Self.deliveryItem), total: deliveries.count, fields: nil)
            }
        }
    }

    private static func reporterItem(_ status: ReporterStatus) -> JSONValue {
        .object([
            "reporterid": .number(Double(status.id)),
            "name": .string(status.name),
            "masterid": number(status.masterID),
            "cursor": number(status.cursor),
            "pending": .number(Double(status.pending)),
            "failed": .number(Double(status.failed)),
            "interrupted": .number(Double(status.interrupted)),
            "delivered": .number(Double(status.delivered)),
            "last_delivered_at": seconds(status.lastDeliveredAt),
            "last_error": status.lastError.map(JSONValue.string) ?? .null,
            "last_error_at": seconds(status.lastErrorAt),
        ])
    }

    private static func deliveryItem(_ delivery: Delivery) -> JSONValue {
        .object([
            "id": .number(Double(delivery.id)),
            "eventid": .number(Double(delivery.eventID)),
            "target": .string(delivery.target),
            "state": .string(delivery.state.rawValue),
            "attempts": .number(Double(delivery.attempts)),
            "created_at": seconds(delivery.createdAt),
            "delivered_at": seconds(delivery.deliveredAt),
            "next_attempt_at": seconds(delivery.nextAttemptAt),
            "status": number(delivery.status),
            "last_error": delivery.lastError.map(JSONValue.string) ?? .null,
        ])
    }

    private static func number(_ value: Int?) -> JSONValue {
        value.map { .number(Double($0)) } ?? .null
    }

    /// Stored times are whole seconds since 1970.
    private static func seconds(_ date: Date?) -> JSONValue {
        date.map { .number($0.timeIntervalSince1970.rounded()) } ?? .null
    }
}
