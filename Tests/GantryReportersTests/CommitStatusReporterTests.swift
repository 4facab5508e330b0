import GantryModel
import GantryReporters
import GantryTesting
import Testing

@Suite("Commit statuses on GitHub, GitLab and Gitea", .paced)
struct CommitStatusReporterTests {
    typealias Fixtures = ReportFixtures

    @Test("each host's state at every moment: only GitLab's says running, only Gitea's warning; GitLab's failed")
    func states() {
        let hosts = [
            (Fixtures.github(), Fixtures.stamp), (Fixtures.gitlab(), GitLabStatusesTests.nested),
            (Fixtures.gitea(), Fixtures.stamp),
        ]
        let expected: [(ReportSubject.Moment, BuildResult?, [String?])] = [
            // GitHub, GitLab, Gitea
            (.requested, nil, ["pending", "pending", "pending"]),
            (.started, nil, ["pending", "running", "pending"]),
            (.finished, .success, ["success", "success", "success"]),
            (.finished, .warnings, ["success", "success", "warning"]),
            (.finished, .skipped, ["success", "success", "success"]),
            (.finished, .failure, ["failure", "failed", "failure"]),
            (.finished, .exception, ["error", "failed", "error"]),
            (.finished, .cancelled, ["error", "canceled", "error"]),
            (.finished, .retry, ["pending", "pending", "pending"]),
            (.cancelled, nil, ["error", "canceled", "error"]),
        ]
        for (moment, results, states) in expected {
            let found = hosts.map { reporter, stamp in
                reporter.reports(for: Fixtures.subject(moment, results: results, stamps: [stamp])).map {
                    $0.payload["body"]?["state"]?.string
                }
            }
            #expect(found == states.map { [$0] }, "\(moment) \(String(describing: results))")
        }
    }
}
