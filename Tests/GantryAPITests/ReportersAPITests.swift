import Foundation
import GantryAPI
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// The reporters' state as the data API and the web UI show it, read from outboxes written through the storage
/// connector as a running reporter writes them.
@Suite("HTTP API and web UI: reporters", .paced, .timeLimit(.minutes(3)))
struct ReportersAPITests {
    let time = ManualWallClock()

    /// The deliveries of ``seed(_:)``'s reporter github, and the times they moved.
    struct Outbox {
        var master: Int
        var reporter: Int
        /// The last event the reporter queued reports for.
        var cursor: Int
        var delivered: Int
        var failed: Int
        var pending: Int
        var queuedAt: Date
        var deliveredAt: Date
        var failedAt: Date
    }

    /// The error github's failed delivery keeps: a target's answer, markup included.
    static let failure = "HTTP 422: <b>Validation Failed</b>"

    /// Reporter github, claimed by master m1, with three reports of one event (each with a recipient in its
    /// payload): one delivered (201), one failed for good, one pending; reporter mail, never run nor claimed.
    func seed(_ db: Database) async throws -> Outbox {
        let master = try await db.masters.findMasterId("m1")
        try await db.masters.masterActive(master)
        let reporter = try await db.reporters.findReporterId("github")
        let fence = try await db.claims(.reporter).claim(reporter, masterid: master)
        _ = try await db.reporters.findReporterId("mail")
        let start = try await db.reporters.cursor(fence)
        let queuedAt = time.now
        let reports = ["acme/app@abc#ci", "acme/app@abc#lint", "acme/app@abc#docs"].enumerated().map {
            QueuedReport(
                eventID: start + 1, index: $0.offset, target: $0.element,
                payload: ["to": ["ada@example.org"], "state": "pending"], eventAt: queuedAt)
        }
        try await db.reporters.enqueue(reports, fence: fence, from: start, to: start + 1, now: queuedAt)
        let queued = try await db.reporters.due(reporter, now: queuedAt, limit: 10).map(\.id)
        try #require(queued.count == 3)
        time.advance(by: 5)
        let deliveredAt = time.now
        try await db.reporters.markDelivered(queued[0], status: 201, at: deliveredAt, fence: fence)
        time.advance(by: 5)
        let failedAt = time.now
        try await db.reporters.markFailed(queued[1], error: Self.failure, at: failedAt, fence: fence)
        return Outbox(
            master: master, reporter: reporter, cursor: start + 1, delivered: queued[0], failed: queued[1],
            pending: queued[2], queuedAt: queuedAt, deliveredAt: deliveredAt, failedAt: failedAt)
    }

    @Test(
        "each reporter with its claim, cursor and outbox, and its deliveries newest first",
        arguments: TestBackend.enabled)
    func api(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let outbox = try await seed(db)
            try await withAPIServer(db, masterID: outbox.master) { base in
                let reporters = try await httpGet(base, "/api/v2/reporters")
                #expect(reporters.status == 200 && reporters["meta", "total"] == .number(2))
                #expect(
                    reporters["reporters", 0]
                        == .object([
                            "reporterid": number(outbox.reporter), "name": "github", "masterid": number(outbox.master),
                            "cursor": number(outbox.cursor), "pending": 1, "failed": 1, "interrupted": 0,
                            "delivered": 1, "last_delivered_at": seconds(outbox.deliveredAt),
                            "last_error": .string(Self.failure), "last_error_at": seconds(outbox.failedAt),
                        ]))
                #expect(reporters["reporters", 1, "name"] == .string("mail"))
                for key in ["masterid", "cursor", "last_delivered_at", "last_error", "last_error_at"] {
                    #expect(reporters["reporters", 1, key] == .null, "mail has no \(key)")
                }

                let deliveries = try await httpGet(base, "/api/v2/reporters/github/deliveries")
                #expect(deliveries.status == 200 && deliveries["meta", "total"] == .number(3))
                #expect(ids(deliveries) == [outbox.pending, outbox.failed, outbox.delivered])
                #expect(
                    deliveries["deliveries", 1]
                        == .object([
                            "id": number(outbox.failed), "eventid": number(outbox.cursor),
                            "target": "acme/app@abc#lint", "state": "failed", "attempts": 1,
                            "created_at": seconds(outbox.queuedAt), "delivered_at": nil,
                            "next_attempt_at": seconds(outbox.queuedAt), "status": nil,
                            "last_error": .string(Self.failure),
                        ]))
                #expect(deliveries["deliveries", 2, "state"] == .string("delivered"))
                #expect(deliveries["deliveries", 2, "status"] == .number(201))
                #expect(deliveries["deliveries", 2, "delivered_at"] == seconds(outbox.deliveredAt))
                #expect(deliveries["deliveries", 0, "state"] == .string("pending"))
                let raw = try await httpGetText(base, "/api/v2/reporters/github/deliveries")
                #expect(!raw.text.contains("ada@example.org"), "payloads stay out of the API")

                #expect(ids(try await httpGet(base, "/api/v2/reporters/github/deliveries?limit=1")) == [outbox.pending])
                let older = try await httpGet(base, "/api/v2/reporters/github/deliveries?before=\(outbox.failed)")
                #expect(ids(older) == [outbox.delivered])
                #expect(ids(try await httpGet(base, "/api/v2/reporters/mail/deliveries")) == [])
                #expect(try await httpGet(base, "/api/v2/reporters/github/deliveries?limit=1001").status == 400)
                #expect(try await httpGet(base, "/api/v2/reporters/github/deliveries?before=x").status == 400)

                let ghost = try await httpGet(base, "/api/v2/reporters/ghost/deliveries")
                #expect(ghost.status == 404 && ghost["error"] == .string("no reporter named 'ghost'"))
            }
        }
    }

    @Test(
        "the page lists every reporter and its deliveries, failures marked and escaped", arguments: TestBackend.enabled)
    func page(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let outbox = try await seed(db)
            try await withAPIServer(db, masterID: outbox.master) { base in
                let all = try await httpGetText(base, "/reporters")
                #expect(all.status == 200)
                #expect(all.text.contains(#"<a href="/reporters?reporter=github">github</a>"#))
                #expect(all.text.contains(#"<a href="/reporters?reporter=mail">mail</a>"#))
                #expect(all.text.contains("<td>m1</td>") && all.text.contains(#"<span class="muted">no master</span>"#))
                #expect(all.text.contains(#"<span class="badge result-failure">1</span>"#))
                #expect(all.text.contains(#"<span class="badge result-failure">failed</span>"#))
                #expect(all.text.contains(#"<span class="badge result-success">delivered</span>"#))
                #expect(all.text.contains("HTTP 422: &lt;b&gt;Validation Failed&lt;/b&gt;"))
                #expect(!all.text.contains("<b>Validation"))
                #expect(all.text.contains("acme/app@abc#docs") && all.text.contains(#"<td class="num">201</td>"#))
                #expect(!all.text.contains("ada@example.org"))

                let mail = try await httpGetText(base, "/reporters?reporter=mail")
                #expect(mail.status == 200 && mail.text.contains("No deliveries kept."))
                #expect(!mail.text.contains("acme/app@abc") && !mail.text.contains("reporter=github"))

                let ghost = try await httpGetText(base, "/reporters?reporter=ghost")
                #expect(ghost.status == 404 && ghost.text.contains("no reporter named &#39;ghost&#39;"))
            }
        }
    }

    @Test("reading the reporters needs the right to view", arguments: TestBackend.enabled)
    func viewRight(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            _ = try await seed(db)
            let closed = AccessControl(AuthSettings(policy: AccessPolicy(rules: [], anonymous: .none)))
            try await withAPIServer(db, access: closed) { base in
                let reporters = try await httpGet(base, "/api/v2/reporters")
                let deliveries = try await httpGet(base, "/api/v2/reporters/github/deliveries")
                #expect(reporters.status == 401)
                #expect(deliveries.status == 401)
            }
        }
    }

    private func ids(_ answer: HTTPAnswer) -> [Int] {
        answer["deliveries"]?.elements.compactMap { $0["id"]?.integer } ?? []
    }

    private func number(_ value: Int) -> JSONValue { .number(Double(value)) }

    private func seconds(_ date: Date) -> JSONValue { .number(date.timeIntervalSince1970) }
}
