import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("ChangesConnector and SourceStampsConnector", .paced, .timeLimit(.minutes(3)))
struct ChangesConnectorTests {
    let time = ManualWallClock()

    @Test("addChange stores every field, files, properties and its source stamp", arguments: TestBackend.enabled)
    func addAndGet(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let id = try await db.changes.addChange(
                NewChange(
                    author: "dustin <dustin@example.com>", committer: "warner", comments: "fix spelling",
                    files: ["master/README.txt", "worker/README.txt"], properties: ["ci": "true", "n": 3],
                    revision: "2d6caa52", revlink: "https://example.com/r/2d6caa52", branch: "master",
                    repository: "git://example.com/buildbot", project: "buildbot", codebase: "bb",
                    category: "docs", when: Date(timeIntervalSince1970: 266_738_400)))
            let change = try #require(try await db.changes.getChange(id))
            #expect(change.author == "dustin <dustin@example.com>")
            #expect(change.committer == "warner")
            #expect(change.comments == "fix spelling")
            #expect(change.files == ["master/README.txt", "worker/README.txt"])
            #expect(change.properties == ["ci": ["true", "Change"], "n": [3, "Change"]])
            #expect(change.revision == "2d6caa52")
            #expect(change.revlink == "https://example.com/r/2d6caa52")
            #expect(change.branch == "master")
            #expect(change.category == "docs")
            #expect(change.when == Date(timeIntervalSince1970: 266_738_400))
            #expect(change.parentChangeIDs.isEmpty)
            let stamp = try #require(try await db.sourceStamps.getSourceStamp(change.sourceStampID))
            #expect(
                stamp
                    == SourceStamp(
                        id: change.sourceStampID, branch: "master", revision: "2d6caa52",
                        repository: "git://example.com/buildbot", codebase: "bb", project: "buildbot",
                        createdAt: time.now))
            #expect(try await db.changes.getChange(id + 1) == nil)
        }
    }

    @Test(
        "a change's parent is the newest on its branch, repository, project and codebase",
        arguments: TestBackend.enabled)
    func parents(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let first = try await db.changes.addChange(NewChange(author: "a", revision: "1", branch: "main"))
            let onDefault = try await db.changes.addChange(NewChange(author: "a", revision: "2"))
            let second = try await db.changes.addChange(NewChange(author: "a", revision: "3", branch: "main"))
            let elsewhere = try await db.changes.addChange(
                NewChange(author: "a", revision: "4", branch: "main", repository: "other"))
            let defaultAgain = try await db.changes.addChange(NewChange(author: "a", revision: "5"))
            #expect(try await db.changes.getChange(second)?.parentChangeIDs == [first])
            #expect(try await db.changes.getChange(elsewhere)?.parentChangeIDs == [])
            #expect(try await db.changes.getChange(defaultAgain)?.parentChangeIDs == [onDefault])
            #expect(try await db.changes.getLatestChangeid() == defaultAgain)
            #expect(try await db.changes.getRecentChanges(2).map(\.id) == [elsewhere, defaultAgain])
            #expect(try await db.changes.getChanges().count == 5)
        }
    }

    @Test("source stamps are shared for equal fields; a patched one is always new", arguments: TestBackend.enabled)
    func sourceStampDeduplication(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let fields = SourceStampFields(branch: "main", revision: "abc", repository: "r", codebase: "c")
            let one = try await db.sourceStamps.findSourceStampId(fields)
            #expect(try await db.sourceStamps.findSourceStampId(fields) == one)
            var defaultBranch = fields
            defaultBranch.branch = nil
            #expect(try await db.sourceStamps.findSourceStampId(defaultBranch) != one)
            var emptyBranch = fields
            emptyBranch.branch = ""
            #expect(try await db.sourceStamps.findSourceStampId(emptyBranch) != one)
            var patched = fields
            patched.patch = Patch(level: 1, base64: "ZGlmZg==", author: "me", comment: "try", subdir: "src")
            let firstPatched = try await db.sourceStamps.findSourceStampId(patched)
            let secondPatched = try await db.sourceStamps.findSourceStampId(patched)
            #expect(firstPatched != secondPatched)
            #expect(try await db.sourceStamps.getSourceStamp(firstPatched)?.patch == patched.patch)
            let change = try await db.changes.addChange(
                NewChange(author: "a", revision: "abc", branch: "main", repository: "r", codebase: "c"))
            #expect(try await db.changes.getChange(change)?.sourceStampID == one)
        }
    }

    @Test("addChanges stores a batch whole or not at all", arguments: TestBackend.enabled)
    func batch(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let ids = try await db.changes.addChanges([
                NewChange(author: "a", revision: "1", branch: "main"),
                NewChange(author: "a", revision: "2", branch: "main"),
            ])
            #expect(try await db.changes.getChange(ids[1])?.parentChangeIDs == [ids[0]])
            // The second change's properties cannot be stored: the first change is not kept either.
            try await db.execute("ALTER TABLE change_properties RENAME TO unavailable")
            await #expect(throws: (any Error).self) {
                try await db.changes.addChanges([
                    NewChange(author: "b", revision: "3"),
                    NewChange(author: "b", properties: ["k": "v"], revision: "4"),
                ])
            }
            try await db.execute("ALTER TABLE unavailable RENAME TO change_properties")
            #expect(try await db.changes.getChanges().map(\.revision) == ["1", "2"])
        }
    }

    @Test(
        "no ids, or a filter matching no change (a sourcestamp with none behind it), read no changes",
        arguments: TestBackend.enabled)
    func noneMatching(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let change = try await db.changes.addChange(NewChange(author: "a", revision: "1"))
            let forced = try await db.sourceStamps.findSourceStampId(SourceStampFields(revision: "2"))
            let bySourceStamp = try ResultSpec<ChangeField>(filters: [.equal(.sourcestampid, .int(forced))])
            let page = try await db.changes.getChanges(bySourceStamp)
            #expect(page.items.isEmpty)
            #expect(page.total == 0)
            let byID = try ResultSpec<ChangeField>(filters: [.equal(.changeid, .int(change + 1))])
            #expect(try await db.changes.getChanges(byID).items.isEmpty)
            #expect(try await db.changes.getChanges(ids: []).isEmpty)
            #expect(try await db.sourceStamps.getSourceStamps(ids: []).isEmpty)
        }
    }

    @Test("storing a change wakes the consumers of changes/new")
    func announces() async throws {
        try await withTestDatabase(.sqlite) { db in
            var wakeups = db.notifier.wakeups(for: [.changesNew], poll: .seconds(3600), clock: ManualClock())
                .makeAsyncIterator()
            try await db.changes.addChange(NewChange(author: "a"))
            #expect(await wakeups.next() != nil)
        }
    }
}
