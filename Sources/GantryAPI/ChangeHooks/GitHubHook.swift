import Foundation
import GantryModel

/// GitHub webhooks (`push` and `pull_request`), as Buildbot's `github` dialect reads them.
///
/// With a secret, the body must carry a valid `X-Hub-Signature-256` (HMAC-SHA256 of the body, checked in
/// constant time as the body arrives); a request without one is refused before its body is read.
struct GitHubHook: Sendable {
    let secret: String?

    /// Refuses, before its body is read, a request without a well-formed signature (with a secret) or without
    /// an event; returns the check its body must pass as it arrives, if there is a secret.
    func admit(event: String?, signature: String?) throws(ChangeHookRefusal) -> SignatureCheck? {
        var check: SignatureCheck?
        if let secret { check = try SignatureCheck(header: signature, secret: secret) }
        guard event != nil else { throw .badRequest("no X-GitHub-Event header") }
        return check
    }

    /// The changes `body` describes, once `check` (from `admit`, fed the whole body) has verified it.
    func changes(event: String?, body: [UInt8], check: SignatureCheck?) throws(ChangeHookRefusal) -> [NewChange] {
        if secret != nil {
            guard let check else { throw .forbidden("missing or malformed X-Hub-Signature-256") }
            try check.verify()
        }
        guard let event else { throw .badRequest("no X-GitHub-Event header") }
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
            throw .badRequest("the body must be JSON")
        }
        switch event {
        case "push": return push(payload)
        case "pull_request": return pullRequest(payload)
        default: return []  // ping and every other event: nothing to build
        }
    }

    private func push(_ payload: JSONValue) -> [NewChange] {
        guard let ref = payload["ref"]?.string, let branch = Self.branch(of: ref), payload["deleted"] != .bool(true)
        else { return [] }
        let repository = payload["repository"]?["html_url"]?.string ?? ""
        let project = payload["repository"]?["full_name"]?.string ?? ""
        return payload["commits"].map(\.elements)?.compactMap { commit -> NewChange? in
            // A commit already pushed to another branch is not built again, as in Buildbot.
            guard commit["distinct"] != .bool(false), let id = commit["id"]?.string else { return nil }
            let files = ["added", "removed", "modified"].flatMap { (commit[$0]?.elements ?? []).compactMap(\.string) }
            return NewChange(
                author: Self.person(commit["author"]), committer: Self.person(commit["committer"]),
                comments: commit["message"]?.string ?? "", files: files,
                properties: ["github_distinct": .bool(true), "event": "push"], revision: id,
                revlink: commit["url"]?.string, branch: branch, repository: repository, project: project,
                category: "push", when: commit["timestamp"]?.string.flatMap(Self.date))
        } ?? []
    }

    private func pullRequest(_ payload: JSONValue) -> [NewChange] {
        guard let action = payload["action"]?.string, ["opened", "reopened", "synchronize"].contains(action),
            let pull = payload["pull_request"], let number = payload["number"]?.integer ?? pull["number"]?.integer,
            let head = pull["head"]?["sha"]?.string
        else { return [] }
        let commits = pull["commits"]?.integer ?? 1
        let title = pull["title"]?.string ?? ""
        let body = pull["body"]?.string ?? ""
        return [
            NewChange(
                author: pull["user"]?["login"]?.string ?? "unknown",
                comments:
                    "GitHub Pull Request #\(number) (\(commits) commit\(commits == 1 ? "" : "s"))\n\(title)\n\(body)",
                properties: [
                    "event": "pull_request", "github.number": .number(Double(number)),
                    "github.base.ref": pull["base"]?["ref"] ?? .null, "github.head.ref": pull["head"]?["ref"] ?? .null,
                    "github.head.repo": pull["head"]?["repo"]?["html_url"] ?? .null,
                ],
                revision: head, revlink: pull["html_url"]?.string, branch: "refs/pull/\(number)/merge",
                repository: payload["repository"]?["html_url"]?.string ?? "",
                project: payload["repository"]?["full_name"]?.string ?? "", category: "pull",
                when: pull["updated_at"]?.string.flatMap(Self.date))
        ]
    }

    /// `refs/heads/X` and `refs/tags/X` name X; other refs build nothing.
    static func branch(of ref: String) -> String? {
        for prefix in ["refs/heads/", "refs/tags/"] where ref.hasPrefix(prefix) && ref.count > prefix.count {
            return String(ref.dropFirst(prefix.count))
        }
        return nil
    }

    /// `Name <email>`, as Buildbot writes authors.
    static func person(_ value: JSONValue?) -> String {
        let name = value?["name"]?.string ?? value?["username"]?.string ?? "unknown"
        guard let email = value?["email"]?.string, !email.isEmpty else { return name }
        return "\(name) <\(email)>"
    }

    static func date(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}

/// Hexadecimal text.
enum Hex {
    /// The bytes `text` spells; `nil` unless it is an even number of hex digits.
    static func bytes(_ text: some StringProtocol) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
