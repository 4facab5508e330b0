import Foundation
import GantryModel

/// GitLab webhooks (`Push Hook` and `Merge Request Hook`), as Buildbot's `gitlab` dialect reads them. With a
/// secret, `X-Gitlab-Token` must equal it (compared in constant time), which is checked before the body is read.
struct GitLabHook: Sendable {
    let secret: String?

    /// Refuses, before its body is read, a request without the token (when there is a secret).
    func admit(token: String?) throws(ChangeHookRefusal) {
        guard let secret else { return }
        guard let token, Self.constantTimeEqual(Array(token.utf8), Array(secret.utf8)) else {
            throw .forbidden("missing or wrong X-Gitlab-Token")
        }
    }

    /// The changes `body` describes; its request must have passed `admit(token:)`.
    func changes(event: String?, body: [UInt8]) throws(ChangeHookRefusal) -> [NewChange] {
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
            throw .badRequest("the body must be JSON")
        }
        switch event {
        case "Push Hook", "Tag Push Hook": return push(payload)
        case "Merge Request Hook": return mergeRequest(payload)
        default: return []
        }
    }

    private func push(_ payload: JSONValue) -> [NewChange] {
        guard let ref = payload["ref"]?.string, let branch = GitHubHook.branch(of: ref) else { return [] }
        let repository = payload["repository"]?["git_http_url"]?.string ?? payload["repository"]?["url"]?.string ?? ""
        let project = payload["project"]?["path_with_namespace"]?.string ?? payload["repository"]?["name"]?.string ?? ""
        return payload["commits"].map(\.elements)?.compactMap { commit -> NewChange? in
            guard let id = commit["id"]?.string else { return nil }
            let files = ["added", "modified", "removed"].flatMap { (commit[$0]?.elements ?? []).compactMap(\.string) }
            return NewChange(
                author: GitHubHook.person(commit["author"]), comments: commit["message"]?.string ?? "", files: files,
                properties: ["event": "push"], revision: id, revlink: commit["url"]?.string, branch: branch,
                repository: repository, project: project, category: "push",
                when: commit["timestamp"]?.string.flatMap(GitHubHook.date))
        } ?? []
    }

    private func mergeRequest(_ payload: JSONValue) -> [NewChange] {
        guard let attributes = payload["object_attributes"],
            let action = attributes["action"]?.string, ["open", "reopen", "update"].contains(action),
            let revision = attributes["last_commit"]?["id"]?.string
        else { return [] }
        let number = attributes["iid"]?.integer ?? 0
        return [
            NewChange(
                author: GitHubHook.person(attributes["last_commit"]?["author"]),
                comments:
                    "MR#\(number): \(attributes["title"]?.string ?? "")\n\n\(attributes["description"]?.string ?? "")",
                properties: [
                    "event": "merge_request", "target_branch": attributes["target_branch"] ?? .null,
                    "target_repository": attributes["target"]?["git_http_url"] ?? .null,
                ],
                revision: revision, revlink: attributes["url"]?.string,
                branch: attributes["source_branch"]?.string,
                repository: attributes["source"]?["git_http_url"]?.string ?? "",
                project: attributes["target"]?["path_with_namespace"]?.string ?? "", category: "merge_request",
                when: attributes["updated_at"]?.string.flatMap(GitHubHook.date))
        ]
    }

    /// Equal bytes, compared without stopping at the first difference.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
