import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("addBuildsetFor*", .paced, .timeLimit(.minutes(3)))
struct BuildsetAdderTests {
    private func adder(
        _ db: Database,
        codebases: [String: CodebaseDefaults] = ["": CodebaseDefaults()],
        properties: [String: JSONValue] = [:],
        priority: PriorityRule = .fixed(0)
    ) async throws -> BuildsetAdder {
        for name in ["a", "b", "c"] { _ = try await db.builders.findBuilderId(name) }
        return BuildsetAdder(
            options: SchedulerOptions(
                name: "n", builderNames: ["a", "b"], properties: properties, codebases: codebases,
                priority: priority),
            database: db,
            logger: silentLogger
        )
    }

    private func stamps(_ db: Database, _ added: BuildsetAdder.Added) async throws -> [SourceStamp] {
        let buildset = try #require(try await db.buildsets.getBuildset(added.buildsetID))
        return try await db.sourceStamps.getSourceStamps(ids: buildset.sourceStampIDs).sorted {
            $0.codebase < $1.codebase
        }
    }

    @Test("WithDefaults: each codebase's defaults overlaid with the stamp given for it", arguments: TestBackend.enabled)
    func withDefaults(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let adder = try await adder(
                db,
                codebases: [
                    "cbA": CodebaseDefaults(repository: "svn://A..", branch: "stable", revision: "13579"),
                    "cbB": CodebaseDefaults(repository: "svn://B..", branch: "stable", revision: "24680"),
                ])
            let added = try await adder.addBuildsetForSourceStampsWithDefaults(
                .init(fence: nil, reason: "power"),
                sourceStamps: [.init(codebase: "cbA", branch: "AA"), .init(codebase: "cbB", revision: "BB")])
            let stamps = try await stamps(db, added)
            #expect(stamps.map(\.codebase) == ["cbA", "cbB"])
            #expect(stamps.map(\.branch) == ["AA", "stable"])
            #expect(stamps.map(\.revision) == ["13579", "BB"])
            #expect(stamps.map(\.repository) == ["svn://A..", "svn://B.."])
            #expect(added.requestIDs.count == 2)

            let onlyA = try await adder.addBuildsetForSourceStampsWithDefaults(
                .init(fence: nil, reason: "power"), sourceStamps: [.init(codebase: "cbA", branch: "AA")])
            #expect(try await self.stamps(db, onlyA).last?.revision == "24680")
        }
    }

    @Test("WithDefaults: unknown codebases keep repository, branch and revision; a codebase twice is an error")
    func withDefaultsUnknownAndTwice() async throws {
        try await withTestDatabase(.sqlite) { db in
            let adder = try await adder(db)
            let added = try await adder.addBuildsetForSourceStampsWithDefaults(
                .init(fence: nil, reason: "r"),
                sourceStamps: [.init(codebase: "other", repository: "r", branch: "b", revision: "1", project: "p")])
            let stamps = try await stamps(db, added)
            #expect(stamps.map(\.codebase) == ["", "other"])
            #expect(stamps[0].repository == "" && stamps[0].branch == nil && stamps[0].revision == nil)
            #expect(stamps[1].project == "" && stamps[1].branch == "b" && stamps[1].revision == "1")
            await #expect(throws: GantryError.self) {
                try await adder.addBuildsetForSourceStampsWithDefaults(
                    .init(fence: nil, reason: "r"), sourceStamps: [.init(codebase: ""), .init(codebase: "")])
            }
            #expect(try await db.buildsets.getBuildsets().count == 1)
        }
    }

    @Test("ForChanges: per codebase the stamp of the highest change id, defaults elsewhere; priority by branch")
    func forChanges() async throws {
        try await withTestDatabase(.sqlite) { db in
            let adder = try await adder(
                db,
                codebases: [
                    "cbA": CodebaseDefaults(), "cbB": CodebaseDefaults(), "cbC": CodebaseDefaults(branch: "c"),
                ],
                properties: ["color": "blue"],
                priority: .byBranch([.init(branch: try Pattern("release/.*"), priority: 8)], otherwise: 1))
            let a1 = try await db.changes.addChange(NewChange(author: "x", revision: "1", codebase: "cbA"))
            let a2 = try await db.changes.addChange(
                NewChange(author: "x", revision: "2", branch: "release/1", codebase: "cbA"))
            let b1 = try await db.changes.addChange(
                NewChange(author: "x", properties: ["color": "pink"], revision: "3", codebase: "cbB"))
            let added = try await adder.addBuildsetForChanges(
                .init(fence: nil, reason: "r"), changeIDs: [a2, b1, a1])
            let stamps = try await stamps(db, added)
            #expect(stamps.map(\.revision) == ["2", "3", nil])
            #expect(stamps.map(\.branch) == ["release/1", nil, "c"])
            let buildset = try #require(try await db.buildsets.getBuildset(added.buildsetID))
            #expect(buildset.properties["color"] == ["blue", "Scheduler"], "the scheduler's properties win")
            #expect(buildset.properties["scheduler"] == ["n", "Scheduler"])
            let requests = try await db.buildRequests.getBuildRequests(buildsetid: added.buildsetID)
            #expect(requests.map(\.priority) == [8, 8])
        }
    }

    @Test(
        "ForSourceStamps: stored stamps with no change behind them build without change properties",
        arguments: TestBackend.enabled)
    func forSourceStampsWithoutChanges(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let adder = try await adder(db)
            let stamp = try await db.sourceStamps.findSourceStampId(SourceStampFields(revision: "1"))
            let added = try await adder.addBuildsetForSourceStamps(
                .init(fence: nil, reason: "r"), sourceStamps: [.id(stamp)])
            let buildset = try #require(try await db.buildsets.getBuildset(added.buildsetID))
            #expect(buildset.sourceStampIDs == [stamp])
            #expect(buildset.properties == ["scheduler": ["n", "Scheduler"]])
            #expect(added.requestIDs.count == 2)
        }
    }

    @Test("ForSourceStamps: unknown builders are dropped; with none left the buildset completes at once")
    func unknownBuilders() async throws {
        try await withTestDatabase(.sqlite) { db in
            let adder = try await adder(db)
            var request = BuildsetAdder.Request(fence: nil, reason: "r")
            request.builderNames = ["c", "nope"]
            let some = try await adder.addBuildsetForSourceStamps(request, sourceStamps: [.fields(.init())])
            #expect(some.requestIDs.count == 1)
            request.builderNames = ["nope"]
            let none = try await adder.addBuildsetForSourceStamps(request, sourceStamps: [.fields(.init())])
            #expect(none.requestIDs.isEmpty)
            let buildset = try #require(try await db.buildsets.getBuildset(none.buildsetID))
            #expect(buildset.complete && buildset.results == .success)
        }
    }
}
