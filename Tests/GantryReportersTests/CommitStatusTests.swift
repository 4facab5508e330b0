import GantryModel
import GantryTesting
import Testing

@testable import GantryReporters

@Suite("Commit statuses a subject calls for", .paced)
struct CommitStatusTests {
    typealias Fixtures = ReportFixtures

    private func statuses(
        _ subject: ReportSubject, context: String = "gantry/{builder}", nested: Bool = false
    ) -> [CommitStatus] {
        CommitStatus.all(for: subject, context: context, links: Fixtures.links, nested: nested)
    }

    @Test("each moment gets its phase and description; a retried build is pending again")
    func moments() {
        let expected: [(ReportSubject.Moment, BuildResult?, CommitStatus.Phase, String)] = [
            (.requested, nil, .pending, "Build pending."),
            (.started, nil, .running, "Build started."),
            (.finished, .success, .done(.success), "Build done: success."),
            (.finished, .warnings, .done(.warnings), "Build done: warnings."),
            (.finished, .failure, .done(.failure), "Build done: failure."),
            (.finished, .skipped, .done(.skipped), "Build done: skipped."),
            (.finished, .exception, .done(.exception), "Build done: exception."),
            (.finished, .cancelled, .done(.cancelled), "Build done: cancelled."),
            (.finished, .retry, .pending, "Build will be retried."),
            (.cancelled, nil, .done(.cancelled), "Build cancelled."),
        ]
        for (moment, results, phase, description) in expected {
            let found = statuses(Fixtures.subject(moment, results: results))
            #expect(found.map(\.phase) == [phase], "\(moment) \(String(describing: results))")
            #expect(found.map(\.description) == [description], "\(moment) \(String(describing: results))")
        }
    }

    @Test("the build's page once there is a build, the builder's before; the context names the builder")
    func linksAndContext() throws {
        let requested = try #require(statuses(Fixtures.subject(.requested), context: "ci/{builder}").first)
        #expect(requested.targetURL == Fixtures.builderPage)
        #expect(requested.context == "ci/linux")
        #expect(requested.target == "acme/widget@\(Fixtures.sha)#ci/linux")
        let started = try #require(statuses(Fixtures.subject(.started)).first)
        #expect(started.targetURL == Fixtures.buildPage)
        #expect(started.target == "acme/widget@\(Fixtures.sha)#gantry/linux")
        #expect(started.branch == "main")
    }

    @Test("one status per stamp with a revision and a repository the API can name; nested groups only when asked")
    func stamps() {
        let other = "fedcba9876543210fedcba9876543210fedcba98"
        let stamps = [
            Fixtures.stamp,
            ReportSourceStamp(repository: "https://github.com/acme/docs", branch: "main"),
            ReportSourceStamp(repository: "/srv/git/tools.git", revision: other),
            ReportSourceStamp(repository: "git@gitlab.example.com:group/sub/lib.git", revision: other),
        ]
        let subject = Fixtures.subject(.started, stamps: stamps)
        #expect(statuses(subject).map(\.target) == ["acme/widget@\(Fixtures.sha)#gantry/linux"])
        #expect(
            statuses(subject, nested: true).map(\.target) == [
                "acme/widget@\(Fixtures.sha)#gantry/linux", "group/sub/lib@\(other)#gantry/linux",
            ])
    }

    @Test("a finished build without results, or a subject without stamps, gets no status")
    func nothing() {
        #expect(statuses(Fixtures.subject(.finished, results: nil)).isEmpty)
        #expect(statuses(Fixtures.subject(.started, stamps: [])).isEmpty)
    }
}
