import GantryModel

/// The code host a ``CommitStatusReporter`` posts to, as Buildbot's `GitHubStatusPush`, `GitLabStatusPush` and
/// `GiteaStatusPush` (Gitea's also serves Forgejo).
public enum CommitStatusHost: Sendable, Hashable {
    /// With `checks`, check runs (a GitHub App's token) instead of commit statuses.
    case github(checks: Bool)
    case gitlab
    case gitea

    var api: any CommitStatusAPI {
        switch self {
        case .github(let checks): GitHubStatuses(checks: checks)
        case .gitlab: GitLabStatuses()
        case .gitea: GiteaStatuses()
        }
    }
}

/// What the code hosts' commit-status APIs differ in; the reporter does the rest.
protocol CommitStatusAPI: Sendable {
    /// Whether a repository may sit in nested groups (GitLab's `group/sub/project`), not only `owner/repo`.
    var allowsNestedProjects: Bool { get }
    /// The request that puts `status`, a moment of `subject`, on its revision.
    func request(for status: CommitStatus, of subject: ReportSubject) -> HTTPReport
    /// The headers carrying `token`, with any others the API wants on each request.
    func headers(token: String) -> [(String, String)]
    /// Whether an answer says the status already is as sent, so the report counts as delivered.
    func isAlreadyApplied(_ reply: HTTPReply) -> Bool
}

extension CommitStatusAPI {
    var allowsNestedProjects: Bool { false }

    func isAlreadyApplied(_ reply: HTTPReply) -> Bool { false }
}
