import GantryModel

/// Gitea's and Forgejo's commit statuses, as Buildbot's `GiteaStatusPush`.
struct GiteaStatuses: CommitStatusAPI {
    /// `POST /api/v1/repos/{owner}/{repo}/statuses/{sha}`.
    func request(for status: CommitStatus, of subject: ReportSubject) -> HTTPReport {
        HTTPReport(
            path: "/api/v1/repos/\(status.repository.path)/statuses/\(status.revision)",
            body: [
                "state": .string(Self.state(status.phase)),
                "target_url": .string(status.targetURL),
                "description": .string(status.description),
                "context": .string(status.context),
            ])
    }

    func headers(token: String) -> [(String, String)] {
        [("Authorization", "token \(token)")]
    }

    /// Gitea's states: it has no running state, so a started build stays pending; it has `warning`; an
    /// exception or a cancellation is an `error`.
    static func state(_ phase: CommitStatus.Phase) -> String {
        switch phase {
        case .pending, .running: "pending"
        case .done(let results):
            switch results {
            case .success, .skipped: "success"
            case .warnings: "warning"
            case .failure: "failure"
            case .exception, .cancelled: "error"
            case .retry: "pending"
            }
        }
    }
}
