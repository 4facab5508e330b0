import Crypto
import Foundation
import GantryAPI
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Change hooks", .paced, .timeLimit(.minutes(3)))
struct ChangeHookTests {
    let hooks = ChangeHookSettings(
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
                #expect(answer.status == 200, "\(answer)")
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

    @Test(
        "a request without the hook's secret is refused before its body is read, and the connection closed",
        arguments: zip(
            ["gitlab", "gitlab", "github", "github"],
            [
                ["X-Gitlab-Event: Push Hook", "X-Gitlab-Token: guess"], ["X-Gitlab-Event: Push Hook"],
                ["X-GitHub-Event: push"], ["X-GitHub-Event: push", "X-Hub-Signature-256: sha256=00"],
            ]))
    func refusedUnread(_ dialect: String, _ headers: [String]) async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                // 64 KiB of a 24 MiB body is sent, then nothing: only a server that does not wait for the body
                // answers at all.
                let answer = try await rawExchange(
                    base,
                    head: rawHead("/change_hook/\(dialect)", headers + ["Content-Length: \(24 * 1024 * 1024)"]),
                    parts: [Array(repeating: UInt8(ascii: " "), count: 64 * 1024)])
                #expect(answer.status == 403)
                #expect(answer.headers["connection"] == "close")
                #expect(answer.closed)
                #expect(try await db.changes.getChanges().isEmpty)
            }
        }
    }

    @Test("a body over the limit is answered 413, not 500, and the rest of it is not read")
    func oversized() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                let json = "Content-Type: application/json"
                let tooLarge = JSONValue.string("the request body is larger than \(HTTPAPI.maxHookBody) bytes")
                let announced = try await rawExchange(
                    base, head: rawHead("/change_hook/base", [json, "Content-Length: \(HTTPAPI.maxHookBody + 1)"]),
                    parts: [Array("{".utf8)])
                #expect(announced.status == 413)
                #expect(announced["error"] == tooLarge)
                #expect(announced.headers["connection"] == "close")
                #expect(announced.closed)

                // 64 KiB chunks up to one past the limit, and then nothing (the body is never ended): the answer
                // comes once the limit is passed, and the connection is closed instead of read on.
                let chunk = rawChunk(Array(repeating: UInt8(ascii: " "), count: 64 * 1024))
                let streamed = try await rawExchange(
                    base, head: rawHead("/change_hook/base", [json, "Transfer-Encoding: chunked"]),
                    parts: Array(repeating: chunk, count: HTTPAPI.maxHookBody / (64 * 1024) + 1), limit: .seconds(60))
                #expect(streamed.status == 413)
                #expect(streamed["error"] == tooLarge)
                #expect(streamed.headers["connection"] == "close")
                #expect(streamed.closed)
                #expect(try await db.changes.getChanges().isEmpty)
            }
        }
    }

    @Test("a malformed chunked body is answered 400, not 500, and the connection closed")
    func malformedChunks() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                let head = rawHead(
                    "/change_hook/base", ["Content-Type: application/json", "Transfer-Encoding: chunked"])
                let answer = try await rawExchange(
                    base, head: head, parts: [Array("zz\r\n{}\r\n0\r\n\r\n".utf8)])
                #expect(answer.status == 400)
                #expect(answer["error"] == .string("the request body is malformed"))
                #expect(answer.closed)
            }
        }
    }

    @Test("github: the signature is checked over a body sent in many small chunks")
    func githubChunkedSignature() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                func chunked(_ body: [UInt8]) -> [[UInt8]] {
                    var parts = stride(from: 0, to: body.count, by: 7).map {
                        rawChunk(body[$0..<min($0 + 7, body.count)])
                    }
                    parts.append(rawLastChunk)
                    return parts
                }
                let head = rawHead(
                    "/change_hook/github",
                    [
                        "X-GitHub-Event: push", "X-Hub-Signature-256: \(signature(Self.push))",
                        "Transfer-Encoding: chunked",
                    ])
                var altered = Array(Self.push.utf8)
                altered[altered.count / 2] ^= 0x01
                let forged = try await rawExchange(base, head: head, parts: chunked(altered))
                #expect(forged.status == 403)
                #expect(forged["error"] == .string("X-Hub-Signature-256 does not match the body"))
                #expect(try await db.changes.getChanges().isEmpty)

                let signed = try await rawExchange(base, head: head, parts: chunked(Array(Self.push.utf8)))
                #expect(signed.status == 200)
                #expect(try await db.changes.getChanges().map(\.revision) == ["aaa111", "ccc333"])
            }
        }
    }

    @Test("bodies from senders not known to hold the secret are read a few at a time; others get 503 and Retry-After")
    func unverifiedBodyCap() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db, changeHooks: hooks) { base in
                let json = "Content-Type: application/json"
                // Each holder announces 1000 bytes, sends 9 and waits: its body is being read until it goes away.
                let holding = rawHead("/change_hook/base", [json, "Content-Length: 1000"])
                let probe = rawHead("/change_hook/base", [json, "Content-Length: 2"]) + "{}"
                try await withThrowingTaskGroup(of: Void.self) { holders in
                    for _ in 0..<HTTPAPI.maxUnverifiedHookBodies {
                        holders.addTask {
                            _ = try? await rawExchange(
                                base, head: holding, parts: [Array(#"{"author""#.utf8)], limit: .seconds(120))
                        }
                    }
                    var busy: RawAnswer?
                    let turnedAway = try await waitUntil {
                        let answer = try await rawExchange(base, head: probe)
                        if answer.status == 503 { busy = answer }
                        return busy != nil
                    }
                    #expect(turnedAway)
                    #expect(busy?.headers["retry-after"] == "\(HTTPAPI.hookRetryAfter)")
                    #expect(busy?.headers["connection"] == "close")
                    #expect(busy?.closed == true)
                    holders.cancelAll()
                }
                // The probe's own body, once read, lacks an author.
                #expect(try await waitUntil { try await rawExchange(base, head: probe).status == 400 })
            }
        }
    }
}
