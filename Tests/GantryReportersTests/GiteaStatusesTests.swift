import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite("Gitea commit statuses", .paced, .timeLimit(.minutes(1)))
struct GiteaStatusesTests {
    typealias Fixtures = ReportFixtures

    @Test("the stored request: POST to the revision's statuses under /api/v1 with state, page, description, context")
    func payload() {
        let reports = Fixtures.gitea().reports(for: Fixtures.subject(.cancelled))
        let expected = Fixtures.status(
            path: "/api/v1/repos/acme/widget/statuses/\(Fixtures.sha)",
            body: [
                "state": "error", "target_url": .string(Fixtures.builderPage), "description": "Build cancelled.",
                "context": "gantry/linux",
            ])
        #expect(reports == [expected])
    }

    @Test("delivered with `Authorization: token`, in the shape Gitea accepts")
    func delivery() async throws {
        let subjects = [Fixtures.subject(.started), Fixtures.subject(.finished, results: .warnings)]
        let requests = try await Fixtures.requests(.gitea, delivering: subjects) { Fixtures.gitea(base: $0 + "/") }
        #expect(requests.map { $0.json?["state"]?.string } == ["pending", "warning"])
        #expect(requests.allSatisfy { $0.header("Authorization") == "token \(Fixtures.token)" })
        #expect(requests.allSatisfy { $0.path == "/api/v1/repos/acme/widget/statuses/\(Fixtures.sha)" })
    }
}
