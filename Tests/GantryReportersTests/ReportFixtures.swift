import Foundation
import GantryModel
import GantryReporters
import GantryTesting
import Testing

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
    ) -> CommitStatusReporter {
        let settings = CommitStatusSettings(baseURL: base, tokenSecret: "gh-token", checks: checks)
        return statuses(.github(checks: checks), settings, secrets: secrets, transport: transport)
    }

    static func gitlab(base: String = "https://gitlab.example.com") -> CommitStatusReporter {
        statuses(.gitlab, CommitStatusSettings(baseURL: base, tokenSecret: "gl-token"), secrets: ["gl-token": token])
    }

    static func gitea(base: String = "https://gitea.example.com") -> CommitStatusReporter {
        statuses(.gitea, CommitStatusSettings(baseURL: base, tokenSecret: "gt-token"), secrets: ["gt-token": token])
    }

    /// A commit-status reporter configured, as a master would, with the kind of reporter `host` stands for.
    private static func statuses(
        _ host: CommitStatusHost, _ settings: CommitStatusSettings, secrets: [String: String],
        transport: HTTPTransport = HTTPTransport()
    ) -> CommitStatusReporter {
        let kind: ReporterConfig.Kind =
            switch host {
            case .github: .github(settings)
            case .gitlab: .gitlab(settings)
            case .gitea: .gitea(settings)
            }
        return CommitStatusReporter(
            config: ReporterConfig(name: kind.typeName, kind: kind), host: host, settings: settings, links: links,
            secrets: Self.secrets(secrets), transport: transport)
    }

    /// The report of a status: a POST of `body` to `path`, replacing the earlier reports of `target`.
    static func status(path: String, body: JSONValue, target: String = "acme/widget@\(sha)#gantry/linux") -> Report {
        Report(target: target, payload: ["method": "POST", "path": .string(path), "body": body])
    }

    /// Delivers the reports of `subjects`, in order, by the reporter `make` builds for a fake of `api`, expecting
    /// the fake to accept each (201) and to record no violation; returns the requests it received.
    static func requests<R: Reporter>(
        _ api: FakeCodeHost.API, delivering subjects: [ReportSubject], by make: (_ baseURL: String) -> R,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [FakeCodeHost.Request] {
        try await FakeCodeHost.with(api) { host in
            let reporter = make(host.baseURL)
            for subject in subjects {
                #expect(
                    await deliver(subject, by: reporter) == [.delivered(status: 201)], "\(subject.moment)",
                    sourceLocation: sourceLocation)
            }
            #expect(host.violations == [], sourceLocation: sourceLocation)
            return host.requests
        }
    }

    static func push(
        url: String = "https://hooks.example.com/gantry", signingSecret: String? = "hook-key",
        headers: [String: String] = [:], secrets: [String: String] = ["hook-key": "hook-s3cret"]
    ) -> HTTPPushReporter {
        let settings = HTTPPushSettings(url: url, signingSecret: signingSecret, headers: headers)
        return HTTPPushReporter(
            config: ReporterConfig(name: "push", kind: .http(settings)), settings: settings, links: links,
            secrets: Self.secrets(secrets), transport: HTTPTransport())
    }
}
