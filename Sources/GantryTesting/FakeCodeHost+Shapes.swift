import Foundation
import GantryModel

/// The request shapes of the faked APIs, as their documentation gives them, and their answers.
extension FakeCodeHost.API {
    /// Why `request` is not one the real API accepts; nil when it is.
    func violation(of request: FakeCodeHost.Request) -> String? {
        guard request.method == "POST" else { return "the API takes POST here, not \(request.method)" }
        guard case .object(let body)? = request.json else { return "the body is not a JSON object" }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch self {
        case .github: return githubViolation(request, parts: parts, body: body)
        case .gitlab: return gitlabViolation(request, parts: parts, body: body)
        case .gitea: return giteaViolation(request, parts: parts, body: body)
        case .webhook: return webhookViolation(request, body: body)
        }
    }

    /// The API's answer to a well-formed request: 201 with the object created (the body and an id), or
    /// GitLab's 400 for a transition its statuses refuse.
    /// - Parameters:
    ///   - id: The id the created object gets.
    ///   - statuses: The current state of each commit status, for GitLab's transitions.
    func answer(to request: FakeCodeHost.Request, id: Int, statuses: inout [String: String])
        -> FakeCodeHost.Answer
    {
        guard case .object(var created)? = request.json else { return FakeCodeHost.Answer(status: 201) }
        created["id"] = .number(Double(id))
        switch self {
        case .github, .gitea:
            return FakeCodeHost.Answer(status: 201, body: JSONValue.object(created).jsonText)
        case .webhook:
            return FakeCodeHost.Answer(status: 200)
        case .gitlab:
            let state = created["state"]?.string ?? ""
            let key = "\(request.path)#\(created["name"]?.string ?? "default")"
            if let current = statuses[key], let event = Self.gitlabRefused(state, from: current) {
                let message =
                    "Cannot transition status via :\(event) from :\(current) "
                    + "(Reason(s): Status cannot transition via \"\(event)\".)"
                let refusal: JSONValue = ["message": .string(message)]
                return FakeCodeHost.Answer(status: 400, body: refusal.jsonText)
            }
            statuses[key] = state
            created["status"] = .string(state)
            return FakeCodeHost.Answer(status: 201, body: JSONValue.object(created).jsonText)
        }
    }

    // MARK: - GitHub

    /// `POST /repos/{owner}/{repo}/statuses/{sha}` and `POST /repos/{owner}/{repo}/check-runs`, with a token and
    /// a User-Agent (GitHub refuses a request without one).
    private func githubViolation(_ request: FakeCodeHost.Request, parts: [String], body: [String: JSONValue])
        -> String?
    {
        guard let authorization = request.header("authorization"),
            authorization.hasPrefix("Bearer ") || authorization.hasPrefix("token ")
        else { return "no Authorization: Bearer header" }
        guard request.header("user-agent") != nil else { return "no User-Agent header" }
        if parts.count == 6, parts[1] == "repos", !parts[2].isEmpty, !parts[3].isEmpty, parts[4] == "statuses" {
            guard Self.isSHA(parts[5]) else { return "not a full commit SHA: \(parts[5])" }
            return Self.missing(
                body,
                [
                    ("state", { Self.oneOf($0, ["pending", "success", "failure", "error"]) }),
                    ("description", { ($0.string?.count ?? .max) <= 140 }),
                    ("context", { !($0.string ?? "").isEmpty }),
                    ("target_url", Self.isURL),
                ])
        }
        if parts.count == 5, parts[1] == "repos", !parts[2].isEmpty, !parts[3].isEmpty, parts[4] == "check-runs" {
            let conclusions = [
                "action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out",
            ]
            if body["status"]?.string == "completed", body["conclusion"] == nil {
                return "a completed check run needs a conclusion"
            }
            return Self.missing(
                body,
                [
                    ("name", { !($0.string ?? "").isEmpty }),
                    ("head_sha", { Self.isSHA($0.string ?? "") }),
                    ("status", { Self.oneOf($0, ["queued", "in_progress", "completed"]) }),
                    ("details_url", Self.isURL),
                    ("external_id", { $0.string != nil }),
                    ("output", { $0["title"]?.string != nil && $0["summary"]?.string != nil }),
                ])
                ?? Self.invalid(
                    body,
                    [
                        ("conclusion", { Self.oneOf($0, conclusions) }),
                        ("started_at", Self.isTimestamp),
                        ("completed_at", Self.isTimestamp),
                    ])
        }
        return "no such GitHub endpoint"
    }

    // MARK: - GitLab

    /// `POST /api/v4/projects/{id or URL-encoded path}/statuses/{sha}` with a `PRIVATE-TOKEN`.
    private func gitlabViolation(_ request: FakeCodeHost.Request, parts: [String], body: [String: JSONValue])
        -> String?
    {
        guard !(request.header("private-token") ?? "").isEmpty else { return "no PRIVATE-TOKEN header" }
        guard parts.count == 7, parts[1] == "api", parts[2] == "v4", parts[3] == "projects", parts[5] == "statuses"
        else { return "no such GitLab endpoint" }
        let project = parts[4]
        guard Int(project) != nil || (project.removingPercentEncoding ?? "").split(separator: "/").count >= 2 else {
            return "not a project id or URL-encoded path: \(project)"
        }
        guard Self.isSHA(parts[6]) else { return "not a full commit SHA: \(parts[6])" }
        return Self.missing(
            body,
            [
                ("state", { Self.oneOf($0, ["pending", "running", "success", "failed", "canceled", "skipped"]) }),
                ("name", { !($0.string ?? "").isEmpty }),
                ("description", { $0.string != nil }),
                ("target_url", Self.isURL),
            ]) ?? Self.invalid(body, [("ref", { !($0.string ?? "").isEmpty })])
    }

    /// The event GitLab names a refused transition of a status from `current` to `state` by; nil when it is
    /// allowed. A status that is not finished cannot go back to, or stay, pending or running; a finished one
    /// is followed by a new status.
    private static func gitlabRefused(_ state: String, from current: String) -> String? {
        let events = ["pending": "enqueue", "running": "run"]
        switch (current, state) {
        case ("pending", "pending"), ("running", "pending"), ("running", "running"): return events[state]
        default: return nil
        }
    }

    // MARK: - Gitea

    /// `POST /api/v1/repos/{owner}/{repo}/statuses/{sha}` with `Authorization: token …`.
    private func giteaViolation(_ request: FakeCodeHost.Request, parts: [String], body: [String: JSONValue])
        -> String?
    {
        guard let authorization = request.header("authorization"),
            authorization.hasPrefix("token ") || authorization.hasPrefix("Bearer ")
        else { return "no Authorization: token header" }
        guard parts.count == 8, parts[1] == "api", parts[2] == "v1", parts[3] == "repos", !parts[4].isEmpty,
            !parts[5].isEmpty, parts[6] == "statuses"
        else { return "no such Gitea endpoint" }
        guard Self.isSHA(parts[7]) else { return "not a full commit SHA: \(parts[7])" }
        return Self.missing(
            body,
            [
                ("state", { Self.oneOf($0, ["pending", "success", "error", "failure", "warning"]) }),
                ("context", { !($0.string ?? "").isEmpty }),
                ("description", { $0.string != nil }),
                ("target_url", Self.isURL),
            ])
    }

    // MARK: - Webhook

    /// A JSON document whose event is the one `X-Gantry-Event` names, with an integer `X-Gantry-Delivery`.
    private func webhookViolation(_ request: FakeCodeHost.Request, body: [String: JSONValue]) -> String? {
        guard request.header("content-type")?.hasPrefix("application/json") == true else {
            return "the Content-Type is not application/json"
        }
        guard let event = request.header("x-gantry-event"), ["started", "finished", "cancelled"].contains(event)
        else { return "no X-Gantry-Event of started, finished or cancelled" }
        guard Int(request.header("x-gantry-delivery") ?? "") != nil else { return "no integer X-Gantry-Delivery" }
        guard body["event"]?.string == event else { return "the body's event is not X-Gantry-Event's" }
        return Self.missing(
            body,
            [
                ("builder", { $0["name"]?.string != nil }),
                ("buildrequestid", { $0.integer != nil }),
                ("buildsetid", { $0.integer != nil }),
                ("sourcestamps", { if case .array = $0 { true } else { false } }),
            ])
    }

    // MARK: - Fields

    /// The first of `fields` that is missing from `body` or fails its check, as a violation.
    private static func missing(_ body: [String: JSONValue], _ fields: [(String, (JSONValue) -> Bool)]) -> String? {
        for (name, isValid) in fields {
            guard let value = body[name] else { return "no \(name)" }
            if !isValid(value) { return "\(name) is invalid: \(value.jsonText)" }
        }
        return nil
    }

    /// The first of the optional `fields` that `body` has but fails its check, as a violation.
    private static func invalid(_ body: [String: JSONValue], _ fields: [(String, (JSONValue) -> Bool)]) -> String? {
        missing(body, fields.filter { body[$0.0] != nil })
    }

    private static func oneOf(_ value: JSONValue, _ allowed: [String]) -> Bool {
        value.string.map(allowed.contains) ?? false
    }

    private static func isSHA(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy(\.isHexDigit)
    }

    private static func isURL(_ value: JSONValue) -> Bool {
        guard let text = value.string, let url = URL(string: text) else { return false }
        return url.scheme == "http" || url.scheme == "https"
    }

    private static func isTimestamp(_ value: JSONValue) -> Bool {
        value.string.flatMap { ISO8601DateFormatter().date(from: $0) } != nil
    }
}
