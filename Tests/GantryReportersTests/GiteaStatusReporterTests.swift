import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite("Gitea commit statuses", .timeLimit(.minutes(1)))
struct GiteaStatusReporterTests {
    typealias Fixtures = ReportFixtures

    @Test("a status at every moment: pending while it runs, warning for warnings, error when cancelled")
    func states() {
        let expected: [(ReportSubject.Moment, BuildResult?, String)] = [
            (.requested, nil, "pending"),
            (.started, nil, "pending"),
            (.finished, .success, "success"),
            (.finished, .warnings, "warning"),
            (.finished, .skipped, "success"),
            (.finished, .failure, "failure"),
            (.finished, .exception, "error"),
            (.finished, .cancelled, "error"),
            (.finished, .retry, "pending"),
            (.cancelled, nil, "error"),
        ]
        let reporter = Fixtures.gitea()
        for (moment, results, state) in expected {
            let reports = reporter.reports(for: Fixtures.subject(moment, results: results))
            #expect(
                reports.map { $0.payload["body"]?["state"]?.string } == [state],
                "\(moment) \(String(describing: results))")
        }
    }

    @Test("the stored request: POST to the revision's statuses under /api/v1 with state, page, description, context")
    func payload() {
        let reports = Fixtures.gitea().reports(for: Fixtures.subject(.cancelled))
        let expected = Report(
            target: "acme/widget@\(Fixtures.sha)#gantry/linux",
            payload: [
                "method": "POST", "path": .string("/api/v1/repos/acme/widget/statuses/\(Fixtures.sha)"),
                "body": [
                    "state": "error", "target_url": .string(Fixtures.builderPage), "description": "Build cancelled.",
                    "context": "gantry/linux",
                ],
            ])
        #expect(reports == [expected])
    }

    @Test("delivered with `Authorization: token`, in the shape Gitea accepts")
    func delivery() async throws {
        try await FakeCodeHost.with(.gitea) { host in
            let reporter = Fixtures.gitea(base: host.baseURL + "/")
            let subjects = [Fixtures.subject(.started), Fixtures.subject(.finished, results: .warnings)]
            for subject in subjects {
                #expect(await Fixtures.deliver(subject, by: reporter) == [.delivered(status: 201)])
            }
            #expect(host.violations == [])
            let requests = host.requests
            #expect(requests.map { $0.json?["state"]?.string } == ["pending", "warning"])
            #expect(requests.allSatisfy { $0.header("Authorization") == "token \(Fixtures.token)" })
            #expect(requests.allSatisfy { $0.path == "/api/v1/repos/acme/widget/statuses/\(Fixtures.sha)" })
        }
    }
}
