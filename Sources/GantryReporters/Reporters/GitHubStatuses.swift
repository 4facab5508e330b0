import Foundation
import GantryModel

/// GitHub's commit statuses, or its check runs, as Buildbot's `GitHubStatusPush`; a request cancelled before it
/// was built gets `error`, so its pending status does not stay (buildbot#6625).
struct GitHubStatuses: CommitStatusAPI {
    /// Check runs (a GitHub App's token) instead of commit statuses.
    var checks: Bool

    /// GitHub's longest status description.
    static let maxDescription = 140

    func request(for status: CommitStatus, of subject: ReportSubject) -> HTTPReport {
        checks ? Self.checkRun(status, subject: subject) : Self.status(status)
    }

    func headers(token: String) -> [(String, String)] {
        [
            ("Authorization", "Bearer \(token)"), ("Accept", "application/vnd.github+json"),
            ("X-GitHub-Api-Version", "2022-11-28"),
        ]
    }

    /// `POST /repos/{owner}/{repo}/statuses/{sha}`.
    static func status(_ status: CommitStatus) -> HTTPReport {
        HTTPReport(
            path: "/repos/\(status.repository.path)/statuses/\(status.revision)",
            body: [
                "state": .string(state(status.phase)),
                "target_url": .string(status.targetURL),
                "description": .string(String(status.description.prefix(maxDescription))),
                "context": .string(status.context),
            ])
    }

    /// `POST /repos/{owner}/{repo}/check-runs`: queued, in progress, or completed with a conclusion.
    static func checkRun(_ status: CommitStatus, subject: ReportSubject) -> HTTPReport {
        var body: [String: JSONValue] = [
            "name": .string(status.context),
            "head_sha": .string(status.revision),
            "details_url": .string(status.targetURL),
            "external_id": .string("\(subject.buildRequestID)"),
            "output": [
                "title": .string(status.description),
                "summary": .string("\(subject.builder.name): \(status.description) \(status.targetURL)"),
            ],
        ]
        switch status.phase {
        case .pending, .done(.retry):
            body["status"] = .string("queued")
        case .running:
            body["status"] = .string("in_progress")
        case .done(let results):
            body["status"] = .string("completed")
            body["conclusion"] = .string(conclusion(results))
            if let completed = subject.build?.completeAt { body["completed_at"] = .string(timestamp(completed)) }
        }
        if let started = subject.build?.startedAt { body["started_at"] = .string(timestamp(started)) }
        return HTTPReport(path: "/repos/\(status.repository.path)/check-runs", body: .object(body))
    }

    /// The commit status state: pending until done; warnings and skipped count as success; an exception or a
    /// cancellation is an `error`, which GitHub shows apart from a failure.
    static func state(_ phase: CommitStatus.Phase) -> String {
        switch phase {
        case .pending, .running: "pending"
        case .done(let results):
            switch results {
            case .success, .warnings, .skipped: "success"
            case .failure: "failure"
            case .exception, .cancelled: "error"
            case .retry: "pending"
            }
        }
    }

    /// The check run's conclusion for a build that is over.
    static func conclusion(_ results: BuildResult) -> String {
        switch results {
        case .success, .warnings: "success"
        case .skipped: "neutral"
        case .failure, .exception: "failure"
        case .cancelled: "cancelled"
        // Not over: a retried build's check run is queued again (see `checkRun`).
        case .retry: "neutral"
        }
    }

    /// ISO 8601 in UTC, as GitHub's timestamps.
    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
