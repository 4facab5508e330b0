import GantryModel
import GantryReporters
import GantryTesting
import Testing

/// The fakes stand for APIs the tests cannot reach, so their empty lists of violations mean something only if
/// they refuse what the real APIs refuse.
@Suite("Fake code hosts refuse what the real APIs refuse", .paced, .timeLimit(.minutes(1)))
struct FakeCodeHostTests {
    typealias Fixtures = ReportFixtures
    static let statusPath = "/repos/acme/widget/statuses/\(ReportFixtures.sha)"

    /// Sends `body` to `path` through the fixtures' reporter for a fake of `api`; returns how it went and the
    /// violations the fake recorded.
    private func send(
        _ api: FakeCodeHost.API, _ path: String, _ body: [String: JSONValue]
    ) async throws -> (DeliveryOutcome, [String]) {
        try await FakeCodeHost.with(api) { host in
            let payload: JSONValue = ["method": "POST", "path": .string(path), "body": .object(body)]
            let outcome = await reporter(api, base: host.baseURL).deliver(payload, deliveryID: 1)
            return (outcome, host.violations)
        }
    }

    /// The fixtures' reporter for a fake of `api` at `base`.
    private func reporter(_ api: FakeCodeHost.API, base: String) -> any Reporter {
        switch api {
        case .github: Fixtures.github(base: base)
        case .gitlab: Fixtures.gitlab(base: base)
        case .gitea: Fixtures.gitea(base: base)
        case .webhook: Fixtures.push(url: base)
        }
    }

    /// Expects the fake to answer 422 and record one violation.
    private func expectRefused(_ api: FakeCodeHost.API, _ path: String, _ body: [String: JSONValue]) async throws {
        let (outcome, violations) = try await send(api, path, body)
        let label = "\(path) \(JSONValue.object(body).jsonText)"
        guard case .failed(let reason) = outcome else {
            Issue.record("accepted: \(label)")
            return
        }
        #expect(reason.hasPrefix("HTTP 422: "), "\(label)")
        #expect(violations.count == 1, "\(label)")
    }

    /// Expects the fake to accept the request as the API does: 201, no violation.
    private func expectAccepted(_ api: FakeCodeHost.API, _ path: String, _ body: [String: JSONValue]) async throws {
        let (outcome, violations) = try await send(api, path, body)
        #expect(outcome == .delivered(status: 201))
        #expect(violations == [])
    }

    @Test("GitHub: a short SHA, an unknown state, a description over 140 characters, a missing context")
    func github() async throws {
        let good: [String: JSONValue] = [
            "state": "success", "target_url": "https://ci.example.com/b", "description": "ok", "context": "ci",
        ]
        try await expectRefused(.github, "/repos/acme/widget/statuses/abc123", good)
        try await expectRefused(.github, Self.statusPath, good.merging(["state": "done"]) { $1 })
        let long = JSONValue.string(String(repeating: "x", count: 141))
        try await expectRefused(.github, Self.statusPath, good.merging(["description": long]) { $1 })
        try await expectRefused(.github, Self.statusPath, good.filter { $0.key != "context" })
        try await expectAccepted(.github, Self.statusPath, good)
    }

    @Test("GitLab: a project path not encoded as one segment, a state GitLab does not have")
    func gitlab() async throws {
        let good: [String: JSONValue] = [
            "state": "running", "name": "ci", "target_url": "https://ci.example.com/b", "description": "ok",
        ]
        let encoded = "/api/v4/projects/acme%2Fwidget/statuses/\(Fixtures.sha)"
        try await expectRefused(.gitlab, "/api/v4/projects/acme/widget/statuses/\(Fixtures.sha)", good)
        try await expectRefused(.gitlab, encoded, good.merging(["state": "failure"]) { $1 })
        try await expectAccepted(.gitlab, encoded, good)
    }

    @Test("Gitea: GitLab's state names, a path outside /api/v1")
    func gitea() async throws {
        let good: [String: JSONValue] = [
            "state": "warning", "context": "ci", "target_url": "https://ci.example.com/b", "description": "ok",
        ]
        let path = "/api/v1/repos/acme/widget/statuses/\(Fixtures.sha)"
        try await expectRefused(.gitea, path, good.merging(["state": "running"]) { $1 })
        try await expectRefused(.gitea, "/repos/acme/widget/statuses/\(Fixtures.sha)", good)
        try await expectAccepted(.gitea, path, good)
    }
}
