import Foundation
import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("SingleBranch and AnyBranch schedulers", .paced, .timeLimit(.minutes(5)))
struct BranchSchedulerTests {
    let clock = ManualClock()

    private func scheduler(
        _ db: Database,
        mode: BranchScheduler.Mode = .singleBranch,
        timer: Duration? = nil,
        consumption: ChangeConsumption = ChangeConsumption(
            filter: ChangeFilter(rules: [.branch: [.equal(["main"])]])),
        codebases: [String: CodebaseDefaults] = ["": CodebaseDefaults()],
        absolute: Bool = false,
        isImportant: ChangeConsumer.ImportanceCheck? = nil
    ) -> BranchScheduler {
        BranchScheduler(
            options: SchedulerOptions(name: "tsched", builderNames: ["linux", "mac"], codebases: codebases),
            mode: mode,
            consumption: consumption,
            treeStableTimer: timer,
            createAbsoluteSourceStamps: absolute,
            isImportant: isImportant,
            context: .testing(db, clock)
        )
    }

    /// Documentation changes are unimportant.
    private let docsAreUnimportant: ChangeConsumer.ImportanceCheck = { change in
        !change.files.allSatisfy { $0.hasPrefix("docs/") }
    }

    @Test("without a timer: an important change builds at once, alone; unimportant and filtered ones never")
    func noTimer() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            try await h.running(scheduler(db, isImportant: docsAreUnimportant)) { _ in
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                try await h.addChange(files: ["docs/a.md"])
                try await h.addChange(branch: "feature")
                let important = try await h.addChange(properties: ["color": "pink"])
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                clock.advance(by: .seconds(3600))
                #expect(try await h.changesBehindBuildsets() == [[important]])
                let buildset = try #require(try await h.buildsets().first)
                #expect(buildset.reason == "The SingleBranchScheduler scheduler named 'tsched' triggered this build")
                #expect(buildset.properties["scheduler"] == ["tsched", "Scheduler"])
                #expect(buildset.properties["color"] == ["pink", "Change"])
                #expect(try await db.buildRequests.getBuildRequests(buildsetid: buildset.id).count == 2)
            }
        }
    }

    @Test("tree-stable timer 9 s: important at 0, unimportant at 6, important at 12 → one buildset at 21")
    func treeStableTimer() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            try await h.running(scheduler(db, timer: .seconds(9), isImportant: docsAreUnimportant)) { service in
                let schedulerID = try #require(service.fence).serviceID
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                let first = try await h.addChange()
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                #expect(try await db.schedulers.getChangeClassifications(schedulerID) == [first: true])
                clock.advance(by: .seconds(6))
                let second = try await h.addChange(files: ["docs/readme.md"])
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                clock.advance(by: .seconds(3))
                clock.advance(by: .seconds(3))
                #expect(try await h.buildsets().isEmpty, "the unimportant change restarted the running timer")
                let third = try await h.addChange()
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                #expect(
                    try await db.schedulers.getChangeClassifications(schedulerID)
                        == [first: true, second: false, third: true])
                clock.advance(by: .seconds(8))
                #expect(try await h.buildsets().isEmpty)
                clock.advance(by: .seconds(1))
                #expect(try await waitUntil { try await h.buildsets().count == 1 })
                #expect(try await h.changesBehindBuildsets() == [[third]])
                #expect(try await db.schedulers.getChangeClassifications(schedulerID).isEmpty)
            }
        }
    }

    @Test("tree-stable timer: unimportant changes alone never start it")
    func unimportantAlone() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            try await h.running(scheduler(db, timer: .seconds(10), isImportant: docsAreUnimportant)) { _ in
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                try await h.addChange(files: ["docs/a.md"])
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                clock.advance(by: .seconds(60))
                try await h.addChange(files: ["docs/b.md"])
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                clock.advance(by: .seconds(60))
                #expect(try await h.buildsets().isEmpty)
            }
        }
    }

    @Test("consumption order: filter, codebase, fileIsImportant (an error drops), onlyImportant")
    func consumptionPipeline() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            struct Broken: Error {}
            let check: ChangeConsumer.ImportanceCheck = { change in
                if change.files.contains("boom") { throw Broken() }
                return !change.files.allSatisfy { $0.hasPrefix("docs/") }
            }
            let only = ChangeConsumption(
                filter: ChangeFilter(rules: [.branch: [.equal(["main"])]]), onlyImportant: true)
            try await h.running(scheduler(db, timer: .seconds(5), consumption: only, isImportant: check)) {
                service in
                let schedulerID = try #require(service.fence).serviceID
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                try await h.addChange(files: ["boom"])
                try await h.addChange(codebase: "elsewhere")
                try await h.addChange(branch: nil)
                try await h.addChange(files: ["docs/x.md"])
                let kept = try await h.addChange()
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                #expect(try await db.schedulers.getChangeClassifications(schedulerID) == [kept: true])
            }
        }
    }

    @Test("a master taking the scheduler over restarts the timer from the stored classifications")
    func failoverRestartsTimer() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            let change = try await h.running(scheduler(db, timer: .seconds(30)), master: "m1") { _ in
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                let change = try await h.addChange()
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                return change
            }
            // While no master holds the scheduler, another change arrives; the next holder reads it too.
            let later = try await h.addChange()
            try await h.running(scheduler(db, timer: .seconds(30)), master: "m2") { _ in
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                #expect(try await h.buildsets().isEmpty)
                clock.advance(by: .seconds(30))
                #expect(try await waitUntil { try await h.buildsets().count == 1 })
            }
            #expect(change < later)
            #expect(try await h.changesBehindBuildsets() == [[later]])
        }
    }

    @Test("AnyBranch: a timer per branch; an unimportant change joins the running timer of its branch")
    func anyBranchTimers() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            let any = scheduler(
                db, mode: .anyBranch, timer: .seconds(10), consumption: ChangeConsumption(),
                isImportant: docsAreUnimportant)
            try await h.running(any) { _ in
                try await h.waitUntilRead("tsched", className: "AnyBranchScheduler")
                try await h.addChange(branch: "main")
                try await h.waitUntilRead("tsched", className: "AnyBranchScheduler")
                clock.advance(by: .seconds(1))
                let docs = try await h.addChange(branch: "main", files: ["docs/a.md"])
                try await h.addChange(branch: "release", files: ["docs/b.md"])
                try await h.waitUntilRead("tsched", className: "AnyBranchScheduler")
                clock.advance(by: .seconds(4))
                let release = try await h.addChange(branch: "release")
                try await h.waitUntilRead("tsched", className: "AnyBranchScheduler")
                clock.advance(by: .seconds(6))
                #expect(try await waitUntil { try await h.buildsets().count == 1 })
                #expect(try await h.changesBehindBuildsets() == [[docs]])
                clock.advance(by: .seconds(4))
                #expect(try await waitUntil { try await h.buildsets().count == 2 })
                #expect(try await h.changesBehindBuildsets() == [[docs], [release]])
            }
        }
    }

    @Test("disabled: changes pass unbuilt; enabled again, new changes build")
    func disabled() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            try await h.running(scheduler(db)) { service in
                let schedulerID = try #require(service.fence).serviceID
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                try await db.schedulers.enable(schedulerID, enabled: false)
                try await h.addChange()
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                #expect(try await h.buildsets().isEmpty)
                try await db.schedulers.enable(schedulerID, enabled: true)
                let built = try await h.addChange()
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                #expect(try await waitUntil { try await h.buildsets().count == 1 })
                #expect(try await h.changesBehindBuildsets() == [[built]])
            }
        }
    }

    /// On the embedded database only: storing 10,000 changes takes most of the test's half minute (minutes beside a
    /// busy suite, hence the suite's limit).
    @Test("10,000 changes through a SingleBranch scheduler become one buildset")
    func tenThousandChanges() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            try await h.running(scheduler(db, timer: .seconds(60), consumption: ChangeConsumption())) { service in
                let schedulerID = try #require(service.fence).serviceID
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                let changes = (0..<10_000).map { index in
                    NewChange(author: "dev", files: ["f\(index % 7)"], revision: "r\(index)", branch: "main")
                }
                for batch in stride(from: 0, to: changes.count, by: 1000) {
                    _ = try await db.changes.addChanges(Array(changes[batch..<batch + 1000]))
                }
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                #expect(try await db.schedulers.getChangeClassifications(schedulerID).count == 10_000)
                clock.advance(by: .seconds(60))
                #expect(try await waitUntil(limit: .seconds(60)) { try await h.buildsets().count == 1 })
                let newest = try await db.changes.getLatestChangeid()
                #expect(try await h.changesBehindBuildsets() == [[try #require(newest)]])
                #expect(try await db.schedulers.getChangeClassifications(schedulerID).isEmpty)
            }
        }
    }

    /// Per buildset, oldest first, the revision it builds on each codebase.
    private func revisions(_ h: SchedulerHarness) async throws -> [[String: String?]] {
        var result: [[String: String?]] = []
        for buildset in try await h.buildsets() {
            let stamps = try await h.db.sourceStamps.getSourceStamps(ids: buildset.sourceStampIDs)
            result.append(Dictionary(uniqueKeysWithValues: stamps.map { ($0.codebase, $0.revision) }))
        }
        return result
    }

    @Test(
        "createAbsoluteSourceStamps: other codebases at the last revision seen on them; an older change never replaces a newer one",
        arguments: [true, false])
    func absoluteSourceStamps(_ absolute: Bool) async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux"])
            let codebases = [
                "a": CodebaseDefaults(repository: "https://example.org/a.git", branch: "main", revision: "a0"),
                "b": CodebaseDefaults(repository: "https://example.org/b.git", branch: "main", revision: "b0"),
            ]
            let objectID = try await db.state.getObjectId("tsched", className: "SingleBranchScheduler")
            try await db.state.setState(
                objectID, "lastCodebases",
                [
                    "b": [
                        "repository": "https://example.org/b.git", "branch": "main", "revision": "b9",
                        "lastChange": 1000,
                    ]
                ])
            try await h.running(scheduler(db, codebases: codebases, absolute: absolute)) { _ in
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                let onA = try await h.addChange(repository: "https://example.org/a.git", codebase: "a")
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                let onB = try await h.addChange(repository: "https://example.org/b.git", codebase: "b")
                try await h.waitUntilRead("tsched", className: "SingleBranchScheduler")
                let a = try #require(try await db.changes.getChange(onA)?.revision)
                let b = try #require(try await db.changes.getChange(onB)?.revision)
                let built = try await revisions(h)
                if absolute {
                    #expect(built == [["a": a, "b": "b9"], ["a": a, "b": b]])
                    let recorded = try await db.state.getState(objectID, "lastCodebases")
                    #expect(recorded["a"]?["revision"] == .string(a))
                    #expect(recorded["a"]?["lastChange"] == .number(Double(onA)))
                    #expect(recorded["b"]?["revision"] == "b9", "change \(onB) is older than the recorded 1000")
                } else {
                    #expect(built == [["a": a, "b": "b0"], ["a": "a0", "b": b]])
                }
            }
        }
    }
}
