import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@testable import GantryChangeSources

/// One test at a time: each runs git many times, and beside the rest of the suites in parallel, two cores.
@Suite("GitPoller on real repositories", .paced, .serialized, .timeLimit(.minutes(5)))
struct GitPollerTests {
    private let name = "poller"

    /// - Parameter chunkSize: The most commits a write records, when not the poller's own.
    private func makePoller(
        _ db: Database, _ settings: GitPollerSettings, workdir: String, clock: ManualClock = ManualClock(),
        capture: LogCapture? = nil, chunkSize: Int? = nil
    ) -> GitPoller {
        var poller = GitPoller(
            name: name, settings: settings, database: db, secrets: SecretStore(environment: [:]), workdir: workdir,
            clock: clock, logger: capture?.logger ?? silentLogger)
        if let chunkSize { poller.chunkSize = chunkSize }
        return poller
    }

    /// The poller's claim, held by `master`.
    private func claim(_ db: Database, master: String = "m1") async throws -> ClaimFence {
        let id = try await db.changeSources.findChangeSourceId(name)
        return try await db.changeSources.setChangeSourceMaster(id, masterid: try await db.masters.findMasterId(master))
    }

    /// The heads the poller recorded, by ref; nil before its first poll.
    private func recorded(_ db: Database) async throws -> [String: String]? {
        let objectID = try await db.state.getObjectId(name, className: "GitPoller")
        return GitPollPlan.recordedHeads(from: try await db.state.getVersionedState(objectID, "lastRev")?.value)
    }

    private func revisions(_ db: Database, _ ids: [Int]) async throws -> [String] {
        try await db.changes.getChanges(ids: ids).compactMap { $0.revision }
    }

    @Test(
        "commits on two branches become changes once, oldest first, with Buildbot's fields",
        arguments: TestBackend.enabled, Transport.allCases)
    func twoBranches(_ backend: TestBackend, _ transport: Transport) async throws {
        let repo = try await TestRepository()
        let first = try await repo.commit("one", files: ["a.txt"])
        try await repo.git("branch", "dev")
        try await transport.withURL(of: repo) { url in
            try await withTestDatabase(backend) { db in
                let fence = try await claim(db)
                let settings = GitPollerSettings(repourl: url, branches: .all, category: "ci", project: "gantry")
                let poller = makePoller(db, settings, workdir: repo.workdir())
                #expect(try await poller.poll(fence: fence).isEmpty, "the first poll records the heads only")
                #expect(try await recorded(db) == ["refs/heads/dev": first, "refs/heads/main": first])

                let two = try await repo.commit(
                    "two\n\nwith a body", files: ["src/b.c", "docs/é t.txt"], at: 1_700_000_100)
                let three = try await repo.commit("three", files: ["a.txt"], at: 1_700_000_200)
                try await repo.git("checkout", "-q", "dev")
                let devTwo = try await repo.commit("dev two", files: ["d.txt"], at: 1_700_000_300)
                let ids = try await poller.poll(fence: fence)
                // Refs in the remote's order (by name), each ref's commits oldest first.
                #expect(try await revisions(db, ids) == [devTwo, two, three])
                let changes = try await db.changes.getChanges(ids: ids)
                #expect(changes.map { $0.branch } == ["dev", "main", "main"])
                let change = try #require(changes.dropFirst().first)
                #expect(change.author == "Ann Author <ann@example.org>")
                #expect(change.committer == "Cy Committer <cy@example.org>")
                #expect(change.comments == "two\n\nwith a body")
                #expect(change.files == ["docs/é t.txt", "src/b.c"])
                #expect(change.when == Date(timeIntervalSince1970: 1_700_000_100))
                #expect(change.repository == url && change.project == "gantry" && change.category == "ci")
                #expect(change.revlink == "" && change.codebase == "")
                #expect(try await recorded(db) == ["refs/heads/dev": devTwo, "refs/heads/main": three])

                #expect(try await poller.poll(fence: fence).isEmpty, "nothing is reported twice")
                #expect(try await db.changes.getChanges().count == 3)
            }
        }
    }

    @Test("without branches the remote's HEAD branch is watched, and its changes are on it by name")
    func remoteHead() async throws {
        let repo = try await TestRepository()
        let first = try await repo.commit("one")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let poller = makePoller(db, GitPollerSettings(repourl: repo.fileURL), workdir: repo.workdir())
            try await poller.poll(fence: fence)
            #expect(try await recorded(db) == ["refs/heads/main": first])
            try await repo.git("checkout", "-q", "-b", "dev")
            try await repo.commit("elsewhere")
            try await repo.git("checkout", "-q", "main")
            #expect(try await poller.poll(fence: fence).isEmpty, "another branch is not watched")
            let second = try await repo.commit("two")
            let changes = try await db.changes.getChanges(ids: try await poller.poll(fence: fence))
            #expect(changes.compactMap { $0.revision } == [second] && changes.map { $0.branch } == ["main"])
        }
    }

    @Test("only tags: a tag's changes are on refs/tags/NAME; an annotated tag reports its commit, not history")
    func onlyTags() async throws {
        let repo = try await TestRepository()
        try await repo.commit("history")
        let tagged = try await repo.commit("one")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let settings = GitPollerSettings(repourl: repo.fileURL, onlyTags: true)
            // A write per commit: the last of a tag's records the tag, not its commit.
            let poller = makePoller(db, settings, workdir: repo.workdir(), chunkSize: 1)
            try await poller.poll(fence: fence)
            #expect(try await recorded(db) == [:])

            try await repo.git("tag", "-a", "v1", "-m", "release 1")
            let tagObject = try await repo.git("rev-parse", "v1")
            let first = try await db.changes.getChanges(ids: try await poller.poll(fence: fence))
            #expect(first.compactMap { $0.revision } == [tagged] && first.map { $0.branch } == ["refs/tags/v1"])
            #expect(try await recorded(db) == ["refs/tags/v1": tagObject] && tagObject != tagged)

            let two = try await repo.commit("two")
            let three = try await repo.commit("three")
            try await repo.git("tag", "v2")
            try await repo.commit("not tagged")
            let second = try await db.changes.getChanges(ids: try await poller.poll(fence: fence))
            #expect(second.compactMap { $0.revision } == [two, three])
            #expect(second.allSatisfy { $0.branch == "refs/tags/v2" })
        }
    }

    @Test("a force-push reports the new commits only")
    func forcePush() async throws {
        let repo = try await TestRepository()
        let base = try await repo.commit("base")
        try await repo.commit("replaced one")
        try await repo.commit("replaced two")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let poller = makePoller(
                db, GitPollerSettings(repourl: repo.fileURL, branches: .all), workdir: repo.workdir())
            try await poller.poll(fence: fence)
            try await repo.git("reset", "-q", "--hard", base)
            let one = try await repo.commit("new one")
            let two = try await repo.commit("new two")
            #expect(try await revisions(db, try await poller.poll(fence: fence)) == [one, two])
        }
    }

    @Test("a new branch reports only the commits no known branch has")
    func newBranch() async throws {
        let repo = try await TestRepository()
        let base = try await repo.commit("base")
        try await repo.commit("main two")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let poller = makePoller(
                db, GitPollerSettings(repourl: repo.fileURL, branches: .all), workdir: repo.workdir())
            try await poller.poll(fence: fence)
            try await repo.git("checkout", "-q", "-b", "feature", base)
            let one = try await repo.commit("feature one")
            let two = try await repo.commit("feature two")
            let changes = try await db.changes.getChanges(ids: try await poller.poll(fence: fence))
            #expect(changes.compactMap { $0.revision } == [one, two])
            #expect(changes.allSatisfy { $0.branch == "feature" })
        }
    }

    @Test("a deleted branch leaves the state, with no change")
    func deletedBranch() async throws {
        let repo = try await TestRepository()
        let first = try await repo.commit("one")
        try await repo.git("checkout", "-q", "-b", "dev")
        try await repo.commit("dev one")
        try await repo.git("checkout", "-q", "main")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let poller = makePoller(
                db, GitPollerSettings(repourl: repo.fileURL, branches: .all), workdir: repo.workdir())
            try await poller.poll(fence: fence)
            try await repo.git("branch", "-q", "-D", "dev")
            #expect(try await poller.poll(fence: fence).isEmpty)
            #expect(try await recorded(db) == ["refs/heads/main": first])
            #expect(try await db.changes.getChanges().isEmpty)
        }
    }

    @Test(
        "buildPushesWithNoCommits: a branch made at a reported commit yields a change for its head, or none",
        arguments: [false, true])
    func pushesWithNoCommits(_ build: Bool) async throws {
        let repo = try await TestRepository()
        try await repo.commit("one")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            var settings = GitPollerSettings(repourl: repo.fileURL, branches: .all)
            settings.buildPushesWithNoCommits = build
            let poller = makePoller(db, settings, workdir: repo.workdir())
            try await poller.poll(fence: fence)
            let two = try await repo.commit("two")
            #expect(try await revisions(db, try await poller.poll(fence: fence)) == [two])
            try await repo.git("branch", "release")
            let changes = try await db.changes.getChanges(ids: try await poller.poll(fence: fence))
            #expect(changes.compactMap { $0.revision } == (build ? [two] : []))
            #expect(changes.allSatisfy { $0.branch == "release" })
        }
    }

    @Test("branch patterns select the branches they match whole", arguments: TestBackend.enabled)
    func patterns(_ backend: TestBackend) async throws {
        let repo = try await TestRepository()
        try await repo.commit("one")
        for branch in ["release/1.0", "release/2.0", "prerelease/3.0"] { try await repo.git("branch", branch) }
        try await withTestDatabase(backend) { db in
            let fence = try await claim(db)
            let release = try Pattern(glob: "release/*")
            let settings = GitPollerSettings(repourl: repo.fileURL, branches: .patterns([release]))
            try await makePoller(db, settings, workdir: repo.workdir()).poll(fence: fence)
            let watched = try await recorded(db).map { Set($0.keys) }
            #expect(watched == ["refs/heads/release/1.0", "refs/heads/release/2.0"])
        }
    }

    @Test(
        "more commits than a write holds arrive once, oldest first; a failed write leaves the heads at the last one, and the next poll goes on from there"
    )
    func chunks() async throws {
        let repo = try await TestRepository()
        let base = try await repo.commit("base")
        try await repo.git("branch", "dev")
        try await repo.git("branch", "gone")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let poller = makePoller(
                db, GitPollerSettings(repourl: repo.fileURL, branches: .all), workdir: repo.workdir(), chunkSize: 2)
            try await poller.poll(fence: fence)

            var main: [String] = []
            for number in 1...5 { main.append(try await repo.commit("main \(number)")) }
            try await repo.git("checkout", "-q", "dev")
            var dev: [String] = []
            for number in 1...3 { dev.append(try await repo.commit("dev \(number)")) }
            try await repo.git("checkout", "-q", "main")
            try await repo.git("branch", "-q", "-D", "gone")
            // Writes of dev 1-2, dev 3 and main 1-2, then the one of main 3-4 fails.
            try await db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON changes WHEN NEW.revision = '\(main[3])' "
                    + "BEGIN SELECT RAISE(ABORT, 'refused'); END")
            await #expect(throws: (any Error).self) { try await poller.poll(fence: fence) }
            #expect(try await db.changes.getChanges().compactMap { $0.revision } == dev + Array(main[..<2]))
            #expect(
                try await recorded(db) == [
                    "refs/heads/dev": dev[2], "refs/heads/gone": base, "refs/heads/main": main[1],
                ], "a deleted branch is dropped by the poll's last write")

            try await db.execute("DROP TRIGGER refuse")
            #expect(try await revisions(db, try await poller.poll(fence: fence)) == Array(main[2...]))
            #expect(try await recorded(db) == ["refs/heads/dev": dev[2], "refs/heads/main": main[4]])
            #expect(try await poller.poll(fence: fence).isEmpty)
            let changes = try await db.changes.getChanges()
            #expect(changes.compactMap { $0.revision } == dev + main)
            #expect(changes.compactMap { $0.branch } == ["dev", "dev", "dev", "main", "main", "main", "main", "main"])
        }
    }

    @Test("a new poller on the same database, even with a fresh copy, reports nothing again, then only what is new")
    func restart() async throws {
        let repo = try await TestRepository()
        try await repo.commit("one")
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let settings = GitPollerSettings(repourl: repo.fileURL, branches: .all)
            let before = makePoller(db, settings, workdir: repo.workdir("before"))
            try await before.poll(fence: fence)
            let two = try await repo.commit("two")
            #expect(try await revisions(db, try await before.poll(fence: fence)) == [two])

            let after = makePoller(db, settings, workdir: repo.workdir("after"))
            #expect(try await after.poll(fence: fence).isEmpty)
            let three = try await repo.commit("three")
            #expect(try await revisions(db, try await after.poll(fence: fence)) == [three])
            #expect(try await db.changes.getChanges().count == 2)
        }
    }

    @Test(
        "a deposed master's poll writes nothing; the new holder reports the commits once",
        arguments: TestBackend.enabled)
    func staleFence(_ backend: TestBackend) async throws {
        let repo = try await TestRepository()
        let first = try await repo.commit("one")
        try await withTestDatabase(backend) { db in
            let deposed = try await claim(db, master: "m1")
            let settings = GitPollerSettings(repourl: repo.fileURL, branches: .all)
            let poller = makePoller(db, settings, workdir: repo.workdir("m1"))
            try await poller.poll(fence: deposed)
            let two = try await repo.commit("two")
            // A peer expires m1 and m2 claims the poller, but m1 has not noticed yet.
            _ = try await db.masters.masterStopped(deposed.masterID)
            let holder = try await claim(db, master: "m2")

            let refused = await #expect(throws: GantryError.self) { try await poller.poll(fence: deposed) }
            #expect(refused?.code == .fenced)
            #expect(try await db.changes.getChanges().isEmpty)
            #expect(try await recorded(db) == ["refs/heads/main": first])

            let successor = makePoller(db, settings, workdir: repo.workdir("m2"))
            #expect(try await revisions(db, try await successor.poll(fence: holder)) == [two])
            #expect(try await successor.poll(fence: holder).isEmpty)
        }
    }

    @Test("the loop polls at launch, then every pollInterval; a failed poll is logged and the next one runs")
    func loop() async throws {
        let repo = try await TestRepository()
        try await repo.commit("one")
        let clock = ManualClock()
        let capture = LogCapture()
        try await withTestDatabase(.sqlite) { db in
            let fence = try await claim(db)
            let settings = GitPollerSettings(
                repourl: repo.fileURL, branches: .all, pollInterval: .seconds(60), pollAtLaunch: true)
            let poller = makePoller(db, settings, workdir: repo.workdir(), clock: clock, capture: capture)
            let running = Task { await poller.runWhileActive(fence: fence) }
            defer { running.cancel() }
            #expect(try await waitUntil { try await recorded(db) != nil }, "the poll at launch")

            let two = try await repo.commit("two")
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(60))
            #expect(try await waitUntil { try await db.changes.getChanges().count == 1 })

            let moved = repo.root.appendingPathComponent("moved")
            try FileManager.default.moveItem(atPath: repo.path, toPath: moved.path)
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(60))
            #expect(await waitUntil { capture.messages.contains("polling failed; polling again later") })

            try FileManager.default.moveItem(atPath: moved.path, toPath: repo.path)
            let three = try await repo.commit("three")
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(60))
            #expect(try await waitUntil { try await db.changes.getChanges().count == 2 })
            running.cancel()
            await running.value
            #expect(try await db.changes.getChanges().compactMap { $0.revision } == [two, three])
        }
    }
}
