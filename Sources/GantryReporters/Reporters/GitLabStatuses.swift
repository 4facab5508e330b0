import Foundation
import GantryModel

/// GitLab's commit statuses, as Buildbot's `GitLabStatusPush`; projects in nested groups (`group/sub/project`)
/// are addressed by their encoded path.
struct GitLabStatuses: CommitStatusAPI {
    var allowsNestedProjects: Bool { true }

    /// The characters a project path keeps in the URL; every other one, `/` included, is percent-encoded, as
    /// GitLab's API wants a project's path as one segment (`group%2Fproject`).
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `POST /api/v4/projects/{encoded path}/statuses/{sha}`.
    func request(for status: CommitStatus, of subject: ReportSubject) -> HTTPReport {
        let project = status.repository.path.addingPercentEncoding(withAllowedCharacters: Self.unreserved)
        var body: [String: JSONValue] = [
            "state": .string(Self.state(status.phase)),
            "name": .string(status.context),
            "target_url": .string(status.targetURL),
            "description": .string(status.description),
        ]
        if let branch = status.branch { body["ref"] = .string(branch) }
        return HTTPReport(
            path: "/api/v4/projects/\(project ?? status.repository.path)/statuses/\(status.revision)",
            body: .object(body))
    }

    func headers(token: String) -> [(String, String)] {
        [("PRIVATE-TOKEN", token)]
    }

    /// GitLab answers 400 `Cannot transition status via :run from :running` when the status cannot take the
    /// state sent: it has it already (a report sent again after a master died) or is further along (a retried
    /// build's `pending` while the status says running). Sending it again would not change that, and the next
    /// moment's status moves it on, so it counts as delivered.
    func isAlreadyApplied(_ reply: HTTPReply) -> Bool {
        reply.status == 400 && reply.body.contains("Cannot transition status")
    }

    /// GitLab's states: `running` once started; warnings and skipped count as success.
    static func state(_ phase: CommitStatus.Phase) -> String {
        switch phase {
        case .pending: "pending"
        case .running: "running"
        case .done(let results):
            switch results {
            case .success, .warnings, .skipped: "success"
            case .failure, .exception: "failed"
            case .cancelled: "canceled"
            case .retry: "pending"
            }
        }
    }
}
