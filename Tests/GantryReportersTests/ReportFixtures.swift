import Foundation
import GantryModel
import GantryReporters

/// The subjects and reporters the reporters' tests render and deliver.
enum ReportFixtures {
    static let sha = "0123456789abcdef0123456789abcdef01234567"
    static let token = "gh-t0ken-do-not-show"
    static let links = ReportLinks(baseURL: "https://ci.example.com/")
    static let startedAt = Date(timeIntervalSince1970: 1_800_000_000)
    /// The page of build #12 of builder 3, and of the builder alone.
    static let buildPage = "https://ci.example.com/builders/3/builds/12"
    static let builderPage = "https://ci.example.com/builders/3"

    static let stamp = ReportSourceStamp(
        repository: "https://github.com/acme/widget.git", branch: "main", revision: sha, project: "widget")

    /// Build request 9 of buildset 5 on builder `linux` (id 3) at `moment`: with build #12 from `started` on,
    /// finished a minute later with `results`.
    static func subject(
        _ moment: ReportSubject.Moment, results: BuildResult? = nil, stamps: [ReportSourceStamp] = [stamp]
    ) -> ReportSubject {
        let build: ReportBuild? =
            switch moment {
            case .requested, .cancelled: nil
            case .started:
                ReportBuild(id: 40, number: 12, stateString: "building", startedAt: startedAt, workerName: "w1")
            case .finished:
                ReportBuild(
                    id: 40, number: 12, results: results, stateString: "failed test", startedAt: startedAt,
                    completeAt: startedAt + 60, workerName: "w1")
            }
        return ReportSubject(
            eventID: 77, moment: moment, builder: ReportBuilder(id: 3, name: "linux", tags: ["ci"]),
            buildRequestID: 9, buildsetID: 5, reason: "a push to main", build: build, sourceStamps: stamps,
            blamelist: ["Ada <ada@example.com>"])
    }

    /// Renders the reports `subject` calls for and delivers each, in order.
    static func deliver(_ subject: ReportSubject, by reporter: some Reporter) async -> [DeliveryOutcome] {
        var outcomes: [DeliveryOutcome] = []
        for (index, report) in reporter.reports(for: subject).enumerated() {
            outcomes.append(await reporter.deliver(report.payload, deliveryID: subject.eventID * 10 + index))
        }
        return outcomes
    }

    /// Secrets held in a dictionary.
    static func secrets(_ values: [String: String]) -> SecretStore {
        SecretStore(environmentPrefix: "", environment: values)
    }

    static func github(
        base: String = "https://api.github.com", checks: Bool = false,
        secrets: [String: String] = ["gh-token": token], transport: HTTPTransport = HTTPTransport()
    ) -> GitHubStatusReporter {
        let settings = CommitStatusSettings(baseURL: base, tokenSecret: "gh-token", checks: checks)
        return GitHubStatusReporter(
            config: ReporterConfig(name: "gh", kind: .github(settings)), links: links,
            secrets: Self.secrets(secrets), transport: transport)
    }

    static func gitlab(base: String = "https://gitlab.example.com") -> GitLabStatusReporter {
        let settings = CommitStatusSettings(baseURL: base, tokenSecret: "gl-token")
        return GitLabStatusReporter(
            config: ReporterConfig(name: "gl", kind: .gitlab(settings)), links: links,
            secrets: secrets(["gl-token": token]), transport: HTTPTransport())
    }

    static func gitea(base: String = "https://gitea.example.com") -> GiteaStatusReporter {
        let settings = CommitStatusSettings(baseURL: base, tokenSecret: "gt-token")
        return GiteaStatusReporter(
            config: ReporterConfig(name: "gt", kind: .gitea(settings)), links: links,
            secrets: secrets(["gt-token": token]), transport: HTTPTransport())
    }

    static func push(
        url: String = "https://hooks.example.com/gantry", signingSecret: String? = "hook-key",
        headers: [String: String] = [:], secrets: [String: String] = ["hook-key": "hook-s3cret"]
    ) -> HTTPPushReporter {
        let settings = HTTPPushSettings(url: url, signingSecret: signingSecret, headers: headers)
        return HTTPPushReporter(
            config: ReporterConfig(name: "push", kind: .http(settings)), links: links,
            secrets: Self.secrets(secrets), transport: HTTPTransport())
    }
}
