import Crypto
import Foundation
import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite("HTTP push of build documents", .paced, .timeLimit(.minutes(1)))
struct HTTPPushReporterTests {
    typealias Fixtures = ReportFixtures

    @Test("started, finished and cancelled each get a document of their own; a request alone gets none")
    func moments() {
        let reporter = Fixtures.push()
        #expect(reporter.reports(for: Fixtures.subject(.requested)).isEmpty)
        let moments: [(ReportSubject.Moment, String)] = [
            (.started, "started"), (.finished, "finished"), (.cancelled, "cancelled"),
        ]
        for (moment, event) in moments {
            let reports = reporter.reports(for: Fixtures.subject(moment, results: .success))
            #expect(reports.map(\.target) == ["event 77"])
            // The URL is added when sending: one holding a key never reaches the database.
            #expect(reports.map { $0.payload["path"]?.string } == [""])
            #expect(!reports.map(\.payload.jsonText).joined().contains("hooks.example.com"))
            #expect(reports.map { $0.payload["body"]?["event"]?.string } == [event])
        }
    }

    @Test("the document of a finished build: builder, build with results and times, request, stamps, reason")
    func finishedDocument() throws {
        let report = try #require(Fixtures.push().reports(for: Fixtures.subject(.finished, results: .failure)).first)
        let expected: JSONValue = [
            "event": "finished",
            "builder": ["id": 3, "name": "linux", "tags": ["ci"]],
            "build": [
                "id": 40, "number": 12, "results": 2, "results_text": "failure", "state_string": "failed test",
                "started_at": 1_800_000_000, "complete_at": 1_800_000_060, "url": .string(Fixtures.buildPage),
            ],
            "buildrequestid": 9, "buildsetid": 5,
            "sourcestamps": [
                [
                    "repository": "https://github.com/acme/widget.git", "branch": "main",
                    "revision": .string(Fixtures.sha), "project": "widget", "codebase": "",
                ]
            ],
            "reason": "a push to main",
        ]
        #expect(report.payload["body"] == expected)
        #expect(report.payload["method"] == "POST")
    }

    @Test("a started build has no results yet; a request cancelled before a build has no build")
    func unfinishedDocuments() throws {
        let reporter = Fixtures.push()
        let started = try #require(reporter.reports(for: Fixtures.subject(.started)).first)
        #expect(started.payload["body"]?["build"]?["results"] == .null)
        #expect(started.payload["body"]?["build"]?["complete_at"] == .null)
        let cancelled = try #require(reporter.reports(for: Fixtures.subject(.cancelled)).first)
        #expect(cancelled.payload["body"]?["build"] == .null)
    }

    @Test("delivered with the event, the delivery id, the configured headers and an HMAC-SHA256 of the exact body")
    func signedDelivery() async throws {
        try await FakeCodeHost.with(.webhook) { host in
            let reporter = Fixtures.push(
                url: host.baseURL + "/hooks/ci", headers: ["X-Team": "infra", "X-Gantry-Delivery": "spoofed"])
            let report = try #require(reporter.reports(for: Fixtures.subject(.finished, results: .success)).first)
            #expect(await reporter.deliver(report.payload, deliveryID: 42) == .delivered(status: 200))
            #expect(host.violations == [])
            let request = try #require(host.requests.first)
            #expect(request.path == "/hooks/ci")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("X-Gantry-Event") == "finished")
            #expect(request.header("X-Gantry-Delivery") == "42", "a configured header cannot replace it")
            #expect(request.header("X-Team") == "infra")
            let document = try #require(report.payload["body"])
            #expect(request.body == Array(document.jsonText.utf8), "the body is the stored document's JSON text")
            let mac = HMAC<SHA256>.authenticationCode(
                for: request.body, using: SymmetricKey(data: Array("hook-s3cret".utf8)))
            let signature = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
            #expect(request.header("X-Gantry-Signature-256") == signature)
        }
    }

    @Test("unsigned without a signing secret")
    func unsignedDelivery() async throws {
        try await FakeCodeHost.with(.webhook) { host in
            let reporter = Fixtures.push(url: host.baseURL + "/hook", signingSecret: nil, secrets: [:])
            #expect(await Fixtures.deliver(Fixtures.subject(.started), by: reporter) == [.delivered(status: 200)])
            #expect(host.violations == [])
            #expect(host.requests.map { $0.header("X-Gantry-Signature-256") } == [nil])
        }
    }

    @Test("a signing secret that is missing fails the report at once, naming it; nothing is sent")
    func missingSecret() async throws {
        try await FakeCodeHost.with(.webhook) { host in
            let reporter = Fixtures.push(url: host.baseURL + "/hook", secrets: [:])
            let outcomes = await Fixtures.deliver(Fixtures.subject(.started), by: reporter)
            #expect(outcomes == [.failed(reason: "secret 'hook-key' not found")])
            #expect(host.requests.isEmpty)
        }
    }
}
