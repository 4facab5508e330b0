import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite("GitLab commit statuses", .paced, .timeLimit(.minutes(1)))
struct GitLabStatusesTests {
    typealias Fixtures = ReportFixtures
    static let nested = ReportSourceStamp(
        repository: "git@gitlab.example.com:group/sub/widget.git", branch: "main", revision: ReportFixtures.sha)

    @Test("the stored request: the project's path encoded as one segment, the name, and the branch as ref")
    func payload() {
        let reports = Fixtures.gitlab().reports(for: Fixtures.subject(.started, stamps: [Self.nested]))
        let expected = Fixtures.status(
            path: "/api/v4/projects/group%2Fsub%2Fwidget/statuses/\(Fixtures.sha)",
            body: [
                "state": "running", "name": "gantry/linux", "target_url": .string(Fixtures.buildPage),
                "description": "Build started.", "ref": "main",
            ],
            target: "group/sub/widget@\(Fixtures.sha)#gantry/linux")
        #expect(reports == [expected])
        let unbranched = ReportSourceStamp(repository: Self.nested.repository, revision: Fixtures.sha)
        let report = Fixtures.gitlab().reports(for: Fixtures.subject(.started, stamps: [unbranched])).first
        #expect(report?.payload["body"]?["ref"] == nil)
    }

    @Test("delivered with PRIVATE-TOKEN; GitLab refusing a state the status already has counts as delivered")
    func delivery() async throws {
        try await FakeCodeHost.with(.gitlab) { host in
            let reporter = Fixtures.gitlab(base: host.baseURL)
            let stamps = [Self.nested]
            let requested = Fixtures.subject(.requested, stamps: stamps)
            let started = Fixtures.subject(.started, stamps: stamps)
            let finished = Fixtures.subject(.finished, results: .success, stamps: stamps)
            #expect(await Fixtures.deliver(requested, by: reporter) == [.delivered(status: 201)])
            #expect(await Fixtures.deliver(started, by: reporter) == [.delivered(status: 201)])
            // Sent again, as after a master died mid-delivery: GitLab answers 400 "Cannot transition status".
            #expect(await Fixtures.deliver(started, by: reporter) == [.delivered(status: 400)])
            #expect(await Fixtures.deliver(finished, by: reporter) == [.delivered(status: 201)])
            #expect(host.violations == [])
            let requests = host.requests
            #expect(requests.count == 4)
            #expect(requests.allSatisfy { $0.header("PRIVATE-TOKEN") == Fixtures.token })
            #expect(requests.allSatisfy { $0.path == "/api/v4/projects/group%2Fsub%2Fwidget/statuses/\(Fixtures.sha)" })
        }
    }

    @Test("any other 400 fails the report, with GitLab's message")
    func otherBadRequest() async throws {
        try await FakeCodeHost.with(.gitlab) { host in
            let reporter = Fixtures.gitlab(base: host.baseURL)
            host.answerNext(with: FakeCodeHost.Answer(status: 400, body: #"{"message":"400 Bad request - ref"}"#))
            let report = try #require(reporter.reports(for: Fixtures.subject(.started)).first)
            #expect(
                await reporter.deliver(report.payload, deliveryID: 1)
                    == .failed(reason: #"HTTP 400: {"message":"400 Bad request - ref"}"#))
        }
    }
}
