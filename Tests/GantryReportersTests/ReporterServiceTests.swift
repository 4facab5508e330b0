import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Synchronization
import Testing

@testable import GantryReporters

/// A reporter whose answers the test scripts: one report per queued build request, to a target of its own or,
/// with `sharedTarget`, all to one.
private final class ScriptedReporter: Reporter {
    let config = ReporterConfig(name: "scripted", kind: .http(HTTPPushSettings(url: "http://127.0.0.1:1")))
    var isIdempotent: Bool { true }
    var needsDetails: Bool { false }
    private let sharedTarget: Bool
    /// The answer to the first attempt at a request's report (they are sent several at once, in any order);
    /// delivered for any other.
    let answers = Mutex<[Int: DeliveryOutcome]>([:])
    /// The build requests whose reports were sent, in order.
    let sent = Mutex<[Int]>([])

    init(sharedTarget: Bool = false) {
        self.sharedTarget = sharedTarget
    }

    func reports(for subject: ReportSubject) -> [Report] {
        guard subject.moment == .requested else { return [] }
        let target = sharedTarget ? "one" : "request \(subject.buildRequestID)"
        return [Report(target: target, payload: ["request": .number(Double(subject.buildRequestID))])]
    }

    func deliver(_ payload: JSONValue, deliveryID: Int) async -> DeliveryOutcome {
        let request = payload["request"]?.integer ?? 0
        sent.withLock { $0.append(request) }
        return answers.withLock { $0.removeValue(forKey: request) } ?? .delivered(status: 201)
    }
}

@Suite("The reporter service: events in, reports out", .paced)
struct ReporterServiceTests {
    let time = ManualWallClock()

    /// Runs a service of `reporter` on a claim of its own while `body` runs.
    private func withService(
        _ reporter: ScriptedReporter, _ db: Database, prepare: (ClaimFence) async throws -> Void = { _ in },
        _ body: (ClaimFence) async throws -> Void
    ) async throws {
        let master = try await db.masters.findMasterId("m1")
        try await db.masters.masterActive(master)
        let fence = try await db.claims(.reporter).claim(
            try await db.reporters.findReporterId(reporter.config.name), masterid: master)
        try await prepare(fence)
        let service = ReporterService(
            reporter: reporter, database: db, clock: ContinuousClock(), logger: silentLogger, poll: .milliseconds(20))
        let running = Task { await service.runWhileActive(fence: fence) }
        defer { running.cancel() }
        try await body(fence)
    }

    /// Queues a build request of builder `b`; its id.
    private func request(_ db: Database) async throws -> Int {
        let builder = try await db.builders.findBuilderId("b")
        let (_, requests) = try await db.buildsets.addBuildset(reason: "test", builderids: [builder])
        return try #require(requests[builder])
    }

    private func states(_ db: Database) async throws -> [DeliveryState] {
        try await db.reporters.deliveries(limit: 100).reversed().map(\.state)
    }

    @Test("requests queued once the reporter runs are each reported once, in order; earlier ones are not replayed")
    func reportsOnce() async throws {
        try await withTestDatabase(.sqlite, clock: time.clock) { db in
            let reporter = ScriptedReporter()
            _ = try await request(db)
            try await withService(reporter, db) { _ in
                #expect(await waitUntil { (try? await db.reporters.statuses().first?.cursor) != nil })
                var requests: [Int] = []
                for _ in 1...3 { requests.append(try await request(db)) }
                #expect(await waitUntil { reporter.sent.withLock { $0.count } == 3 })
                #expect(reporter.sent.withLock { $0 } == requests)
                #expect(await waitUntil { (try? await states(db)) == [.delivered, .delivered, .delivered] })
            }
        }
    }

    @Test("reports queued for one target while none was sent: only the newest goes")
    func supersedes() async throws {
        try await withTestDatabase(.sqlite, clock: time.clock) { db in
            let reporter = ScriptedReporter(sharedTarget: true)
            var requests: [Int] = []
            try await withService(reporter, db) { fence in
                _ = try await db.reporters.cursor(fence)
                for _ in 1...3 { requests.append(try await request(db)) }
            } _: { _ in
                #expect(await waitUntil { (try? await states(db)) == [.superseded, .superseded, .delivered] })
                #expect(reporter.sent.withLock { $0 } == [requests[2]])
            }
        }
    }

    @Test("a refused report is given up; a failing one waits for its backoff; a rate limit pauses the reporter")
    func failures() async throws {
        try await withTestDatabase(.sqlite, clock: time.clock) { db in
            let reporter = ScriptedReporter()
            try await withService(reporter, db) { fence in
                _ = try await db.reporters.cursor(fence)
                var requests: [Int] = []
                for _ in 1...3 { requests.append(try await request(db)) }
                reporter.answers.withLock {
                    $0 = [
                        requests[0]: .failed(reason: "HTTP 404"), requests[1]: .retry(reason: "HTTP 502"),
                        requests[2]: .retry(reason: "HTTP 429", after: .seconds(30)),
                    ]
                }
            } _: { _ in
                #expect(await waitUntil { reporter.sent.withLock { $0.count } == 3 })
                // Each answer is recorded once the three, sent together, have all answered.
                #expect(
                    await waitUntil {
                        (try? await db.reporters.deliveries(limit: 10).map(\.attempts)) == [1, 1, 1]
                    })
                #expect(try await states(db) == [.failed, .pending, .pending])
                let deliveries = try await db.reporters.deliveries(limit: 10).reversed().map { $0 }
                #expect(deliveries[0].lastError == "HTTP 404")
                #expect(deliveries[1].nextAttemptAt == time.now.addingTimeInterval(10))
                #expect(deliveries[2].nextAttemptAt == time.now.addingTimeInterval(30))

                // Paused by the rate limit: a new report waits too, though it is due.
                _ = try await request(db)
                #expect(await waitUntil { (try? await db.reporters.deliveries(limit: 10).count) == 4 })
                time.advance(by: 10)
                try await Task.sleep(for: .milliseconds(200))
                #expect(reporter.sent.withLock { $0.count } == 3, "nothing is sent while paused")
                time.advance(by: 20)
                #expect(await waitUntil { (try? await states(db)) == [.failed, .delivered, .delivered, .delivered] })
                #expect(reporter.sent.withLock { $0.count } == 6)
            }
        }
    }
}
