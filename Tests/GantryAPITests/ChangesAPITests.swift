import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: changes", .paced, .timeLimit(.minutes(3)))
struct ChangesAPITests {
    @Test(
        "changes filtered, ordered and paged in the database, each with its source stamp",
        arguments: TestBackend.enabled)
    func changes(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let first = try await db.changes.addChange(
                NewChange(
                    author: "ada", comments: "one", files: ["a.c"], properties: ["k": "v"], revision: "r1",
                    branch: "main", repository: "git://r", when: Date(timeIntervalSince1970: 1_700_000_000)))
            try await db.changes.addChange(NewChange(author: "bob", revision: "r2", branch: "dev"))
            let third = try await db.changes.addChange(
                NewChange(author: "ada", revision: "r3", branch: "main", repository: "git://r"))
            try await withAPIServer(db) { base in
                let page = try await httpGet(base, "/api/v2/changes?branch=main&order=-changeid&limit=1")
                #expect(page.status == 200)
                #expect(page["meta", "total"] == .number(2))
                #expect(page["changes", 0, "changeid"] == .number(Double(third)))
                #expect(page["changes", 0, "parent_changeids"] == .array([.number(Double(first))]))

                let one = try await httpGet(base, "/api/v2/changes/\(first)")
                #expect(one["changes", 0, "author"] == .string("ada"))
                #expect(one["changes", 0, "files"] == .array(["a.c"]))
                #expect(one["changes", 0, "properties"] == .object(["k": ["v", "Change"]]))
                #expect(one["changes", 0, "when_timestamp"] == .number(1_700_000_000))
                #expect(one["changes", 0, "sourcestamp", "revision"] == .string("r1"))
                #expect(one["changes", 0, "sourcestamp", "repository"] == .string("git://r"))
                #expect(one["changes", 0, "sourcestamp", "patch"] == .null)

                let authors = try await httpGet(base, "/api/v2/changes?author__ne=ada&field=author")
                #expect(authors["changes"] == .array([.object(["author": "bob"])]))
                #expect(try await httpGet(base, "/api/v2/changes/99").status == 404)
                #expect(try await httpGet(base, "/api/v2/changes?when=now").status == 400)
            }
        }
    }
}
