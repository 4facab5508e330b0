import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite("GitHub commit statuses and check runs", .paced, .timeLimit(.minutes(1)))
struct GitHubStatusesTests {
    typealias Fixtures = ReportFixtures
    static let statusPath = "/repos/acme/widget/statuses/\(ReportFixtures.sha)"

    @Test("the stored request: POST to the revision's statuses with state, page, description and context")
    func payload() {
        let reports = Fixtures.github().reports(for: Fixtures.subject(.finished, results: .failure))
        let expected = Fixtures.status(
            path: Self.statusPath,
            body: [
                "state": "failure", "target_url": .string(Fixtures.buildPage), "description": "Build done: failure.",
                "context": "gantry/linux",
            ])
        #expect(reports == [expected])
    }

    @Test("check runs: queued, in progress, then completed with a conclusion and the build's times")
    func checkRuns() throws {
        let reporter = Fixtures.github(checks: true)
        let expected: [(ReportSubject.Moment, BuildResult?, String, String?)] = [
            (.requested, nil, "queued", nil),
            (.started, nil, "in_progress", nil),
            (.finished, .success, "completed", "success"),
            (.finished, .warnings, "completed", "success"),
            (.finished, .skipped, "completed", "neutral"),
            (.finished, .failure, "completed", "failure"),
            (.finished, .exception, "completed", "failure"),
            (.finished, .cancelled, "completed", "cancelled"),
            (.finished, .retry, "queued", nil),
            (.cancelled, nil, "completed", "cancelled"),
        ]
        for (moment, results, status, conclusion) in expected {
            let reports = reporter.reports(for: Fixtures.subject(moment, results: results))
            let label = "\(moment) \(String(describing: results))"
            #expect(reports.map { $0.payload["path"]?.string } == ["/repos/acme/widget/check-runs"], "\(label)")
            #expect(reports.map { $0.payload["body"]?["status"]?.string } == [status], "\(label)")
            #expect(reports.map { $0.payload["body"]?["conclusion"]?.string } == [conclusion], "\(label)")
        }
        let finished = try #require(reporter.reports(for: Fixtures.subject(.finished, results: .failure)).first)
        let body = try #require(finished.payload["body"])
        #expect(body["name"] == "gantry/linux")
        #expect(body["head_sha"] == .string(Fixtures.sha))
        #expect(body["details_url"] == .string(Fixtures.buildPage))
        #expect(body["external_id"] == "9")
        #expect(body["started_at"] == "2027-01-15T08:00:00Z")
        #expect(body["completed_at"] == "2027-01-15T08:01:00Z")
        #expect(body["output"]?["title"] == "Build done: failure.")
    }

    @Test("delivered with the token as a bearer, GitHub's headers, and bodies the API accepts")
    func delivery() async throws {
        let subjects = [
            Fixtures.subject(.requested), Fixtures.subject(.started), Fixtures.subject(.finished, results: .failure),
        ]
        let requests = try await Fixtures.requests(.github, delivering: subjects) { Fixtures.github(base: $0) }
        #expect(requests.map(\.path) == Array(repeating: Self.statusPath, count: 3))
        #expect(requests.map { $0.json?["state"]?.string } == ["pending", "pending", "failure"])
        for request in requests {
            #expect(request.header("Authorization") == "Bearer \(Fixtures.token)")
            #expect(request.header("Accept") == "application/vnd.github+json")
            #expect(request.header("X-GitHub-Api-Version") == "2022-11-28")
            #expect(request.header("User-Agent") == "Gantry")
            #expect(request.header("Content-Type") == "application/json")
        }
    }

    @Test("check runs are delivered in the shape GitHub's check-runs endpoint accepts")
    func checkRunDelivery() async throws {
        let subjects = [
            Fixtures.subject(.requested), Fixtures.subject(.started), Fixtures.subject(.finished, results: .success),
            Fixtures.subject(.cancelled),
        ]
        let requests = try await Fixtures.requests(.github, delivering: subjects) {
            Fixtures.github(base: $0, checks: true)
        }
        #expect(requests.map { $0.json?["status"]?.string } == ["queued", "in_progress", "completed", "completed"])
    }

    @Test("a missing token fails the report at once, naming the secret; nothing is sent")
    func missingSecret() async throws {
        try await FakeCodeHost.with(.github) { host in
            let reporter = Fixtures.github(base: host.baseURL, secrets: [:])
            let report = try #require(reporter.reports(for: Fixtures.subject(.started)).first)
            #expect(
                await reporter.deliver(report.payload, deliveryID: 1) == .failed(reason: "secret 'gh-token' not found"))
            #expect(host.requests.isEmpty)
        }
    }
}
