import Crypto
import Foundation
import GantryConfig
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Change hooks", .timeLimit(.minutes(3)))
struct ChangeHookTests {
    let hooks = ChangeHooksConfig(
        base: true, github: HookSecret(secret: "s3cret"), gitlab: HookSecret(secret: "t0ken"))

    static let push = """
        {"ref": "refs/heads/main",
         "repository": {"html_url": "https://github.com/acme/widget", "full_name": "acme/widget"},
         "commits": [
           {"id": "aaa111", "distinct": true, "message": "first", "timestamp": "2026-11-23T10:00:00+01:00",
            "url": "https://github.com/acme/widget/commit/aaa111",
            "author": {"name": "Ada", "email": "ada@example.com"}, "committer": {"name": "Bob", "email": "bob@example.com"},
            "added": ["new.c"], "removed": ["old.c"], "modified": ["main.c"]},
           {"id": "bbb222", "distinct": false, "message": "seen before", "timestamp": "2026-11-23T10:01:00Z",
            "author": {"name": "Ada", "email": "ada@example.com"}},
           {"id": "ccc333", "message": "second", "timestamp": "2026-11-23T10:02:00Z",
            "author": {"name": "Ada", "email": "ada@example.com"}, "modified": ["README"]}
         ]}
        """

    private func signature(_ body: String, secret: String = "s3cret") -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test("base hook: form fields with JSON files and properties", arguments: TestBackend.enabled)
    func baseForm(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                let form = [
                    "author=Ada+Lovelace", "comments=fix%20it", "files=%5B%22a.c%22%2C%22b.c%22%5D",
                    "properties=%7B%22ticket%22%3A%2242%22%7D", "revision=abc123", "branch=main",
                    "repository=git%3A%2F%2Fexample.com%2Fr", "project=p", "codebase=c", "category=fix",
                    "when_timestamp=1700000000",
                ].joined(separator: "&")
                let answer = try await httpPost(
                    base, "/change_hook/base", body: form,
                    headers: ["Content-Type": "application/x-www-form-urlencoded"])
                #expect(answer.status == 200)
                let ids = answer["changes"]?.elements.compactMap(\.integer) ?? []
                #expect(ids.count == 1)
                let change = try #require(try await db.changes.getChange(ids.first ?? 0))
                #expect(change.author == "Ada Lovelace")
                #expect(change.comments == "fix it")
                #expect(change.files == ["a.c", "b.c"])
                #expect(change.properties == ["ticket": ["42", "Change"]])
                #expect(change.revision == "abc123" && change.branch == "main" && change.category == "fix")
                #expect(change.repository == "git://example.com/r" && change.project == "p" && change.codebase == "c")
                #expect(change.when == Date(timeIntervalSince1970: 1_700_000_000))
            }
        }
    }

    @Test("base hook: a JSON body; a change without an author is refused and nothing is stored")
    func baseJSON() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                let json = ["Content-Type": "application/json"]
                let answer = try await httpPost(
                    base, "/change_hook/base", body: #"{"who": "ada", "files": ["x"], "revision": "1"}"#, headers: json)
                #expect(answer.status == 200)
                #expect(try await db.changes.getChanges().map(\.author) == ["ada"])
                let refused = try await httpPost(base, "/change_hook/base", body: #"{"comments": "x"}"#, headers: json)
                #expect(refused.status == 400)
                #expect(refused["error"] == .string("a change needs an 'author'"))
                let malformed = try await httpPost(base, "/change_hook/base", body: "{", headers: json)
                #expect(malformed.status == 400)
                #expect(try await db.changes.getChanges().count == 1)
            }
        }
    }

    @Test("github push: one change per distinct commit, signed with the secret", arguments: TestBackend.enabled)
    func githubPush(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                let answer = try await httpPost(
                    base, "/change_hook/github", body: Self.push,
                    headers: ["X-GitHub-Event": "push", "X-Hub-Signature-256": signature(Self.push)])
                #expect(answer.status == 200)
                let changes = try await db.changes.getChanges()
                #expect(changes.map(\.revision) == ["aaa111", "ccc333"])
                let first = try #require(changes.first)
                #expect(first.author == "Ada <ada@example.com>")
                #expect(first.committer == "Bob <bob@example.com>")
                #expect(first.files == ["main.c", "new.c", "old.c"])
                #expect(first.branch == "main" && first.category == "push")
                #expect(first.repository == "https://github.com/acme/widget" && first.project == "acme/widget")
                #expect(first.revlink == "https://github.com/acme/widget/commit/aaa111")
                #expect(first.when == Date(timeIntervalSince1970: 1_795_424_400))
            }
        }
    }

    @Test(
        "github: a wrong, missing or malformed signature is 403 and stores nothing",
        arguments: [nil, "sha256=00", "sha1=abc", "sha256=zz"] as [String?])
    func githubForged(_ forged: String?) async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                var headers = ["X-GitHub-Event": "push"]
                headers["X-Hub-Signature-256"] = forged
                let answer = try await httpPost(base, "/change_hook/github", body: Self.push, headers: headers)
                #expect(answer.status == 403)
                let wrongSecret = try await httpPost(
                    base, "/change_hook/github", body: Self.push,
                    headers: ["X-GitHub-Event": "push", "X-Hub-Signature-256": signature(Self.push, secret: "other")])
                #expect(wrongSecret.status == 403)
                #expect(try await db.changes.getChanges().isEmpty)
            }
        }
    }

    @Test("github pull_request: opened builds the merge ref; closed builds nothing")
    func githubPullRequest() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                func send(_ action: String) async throws -> HTTPAnswer {
                    let body = """
                        {"action": "\(action)", "number": 7,
                         "pull_request": {"number": 7, "title": "Add widgets", "body": "Please", "commits": 2,
                          "html_url": "https://github.com/acme/widget/pull/7", "user": {"login": "ada"},
                          "head": {"sha": "fff999", "ref": "feature"}, "base": {"ref": "main"}},
                         "repository": {"html_url": "https://github.com/acme/widget", "full_name": "acme/widget"}}
                        """
                    return try await httpPost(
                        base, "/change_hook/github", body: body,
                        headers: ["X-GitHub-Event": "pull_request", "X-Hub-Signature-256": signature(body)])
                }
                #expect(try await send("opened").status == 200)
                #expect(try await send("closed").status == 200)
                let changes = try await db.changes.getChanges()
                #expect(changes.count == 1)
                let change = try #require(changes.first)
                #expect(change.branch == "refs/pull/7/merge" && change.revision == "fff999")
                #expect(change.comments == "GitHub Pull Request #7 (2 commits)\nAdd widgets\nPlease")
                #expect(change.category == "pull" && change.author == "ada")
                #expect(change.properties["github.head.ref"] == ["feature", "Change"])
            }
        }
    }

    @Test("gitlab push needs the token; an unconfigured dialect stores nothing")
    func gitlab() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                let body = """
                    {"ref": "refs/heads/dev", "project": {"path_with_namespace": "acme/gadget"},
                     "repository": {"git_http_url": "https://gitlab.example.com/acme/gadget.git"},
                     "commits": [{"id": "123abc", "message": "tune", "timestamp": "2026-11-23T10:00:00Z",
                                  "author": {"name": "Ada", "email": "ada@example.com"}, "modified": ["x"]}]}
                    """
                let wrong = try await httpPost(
                    base, "/change_hook/gitlab", body: body,
                    headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "guess"])
                #expect(wrong.status == 403)
                let right = try await httpPost(
                    base, "/change_hook/gitlab", body: body,
                    headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "t0ken"])
                #expect(right.status == 200)
                let changes = try await db.changes.getChanges()
                #expect(changes.map(\.revision) == ["123abc"])
                #expect(changes.first?.branch == "dev" && changes.first?.project == "acme/gadget")

                let unknown = try await httpPost(base, "/change_hook/bitbucket", body: "{}")
                #expect(unknown.status == 400)
                #expect(unknown["error"] == .string("no change hook 'bitbucket' is configured on this master"))
                #expect(try await db.changes.getChanges().count == 1)
            }
        }
    }
}
