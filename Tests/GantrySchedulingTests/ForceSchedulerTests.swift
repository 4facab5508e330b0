import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("ForceScheduler", .paced, .timeLimit(.minutes(3)))
struct ForceSchedulerTests {
    let clock = ManualClock()

    private func scheduler(_ db: Database) throws -> ForceScheduler {
        ForceScheduler(
            options: SchedulerOptions(
                name: "force", builderNames: ["linux", "mac"],
                codebases: ["": CodebaseDefaults(repository: "https://example.org/app.git", branch: "main")]),
            parameters: [
                ForceParameter(name: "target", kind: .choice(["debug", "release"]), required: true),
                ForceParameter(name: "jobs", kind: .int, defaultValue: 2),
                ForceParameter(name: "tag", kind: .string, regex: try Pattern("v[0-9]+"), maxsize: 5),
                ForceParameter(name: "clean", kind: .boolean),
            ],
            context: .testing(db, clock)
        )
    }

    @Test("every validation error is returned together, and nothing is written")
    func validation() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            let force = try scheduler(db)
            try await h.running(force) { _ in
                let refusal = await #expect(throws: ForceScheduler.Refusal.self) {
                    try await force.force(
                        owner: "ada", builderNames: ["windows"],
                        arguments: ["jobs": "many", "tag": "release-1", "clean": "maybe", "colour": "red"])
                }
                #expect(
                    refusal?.errors == [
                        "target": "is required",
                        "jobs": "must be an integer",
                        "tag": "must be at most 5 characters",
                        "clean": "must be true or false",
                        "colour": "is not a parameter of force scheduler 'force'",
                        "builderNames": "none of the requested builders is a builder of force scheduler 'force'",
                    ])
                let pattern = await #expect(throws: ForceScheduler.Refusal.self) {
                    try await force.force(owner: nil, arguments: ["target": "debug", "tag": "x1"])
                }
                #expect(pattern?.errors == ["tag": "must match 'v[0-9]+'"])
                let written = try await h.buildsets()
                #expect(written.isEmpty)
            }
        }
    }

    @Test("a forced buildset: Buildbot's reason, the parameters as properties, the chosen builders, the branch")
    func forced() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            let force = try scheduler(db)
            let added = try await h.running(force) { _ in
                try await force.force(
                    owner: "ada", builderNames: ["mac", "windows"],
                    arguments: ["reason": "try it", "target": "release", "branch": "topic", "priority": 7])
            }
            let buildset = try #require(try await db.buildsets.getBuildset(added.buildsetID))
            #expect(buildset.reason == "A build was forced by 'ada': try it")
            #expect(buildset.properties["target"] == ["release", "Force Build Form"])
            #expect(buildset.properties["jobs"] == [2, "Force Build Form"])
            #expect(buildset.properties["owner"] == ["ada", "Force Build Form"])
            #expect(buildset.properties["reason"] == ["try it", "Force Build Form"])
            #expect(buildset.properties["scheduler"] == ["force", "Scheduler"])
            let requests = try await db.buildRequests.getBuildRequests(buildsetid: added.buildsetID)
            #expect(requests.map(\.builderID) == [try await db.builders.findBuilderId("mac")])
            #expect(requests.map(\.priority) == [7])
            let stamp = try #require(try await db.sourceStamps.getSourceStamps(ids: buildset.sourceStampIDs).first)
            #expect(stamp.branch == "topic" && stamp.repository == "https://example.org/app.git")
        }
    }

    @Test("any master can force while one runs the scheduler; none running, or disabled, is a clear error")
    func fromAnyMaster() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let h = try await SchedulerHarness(db: db, clock: clock, builders: ["linux", "mac"])
            let force = try scheduler(db)
            let unclaimed = await #expect(throws: GantryError.self) {
                try await force.force(owner: nil, arguments: ["target": "debug"])
            }
            #expect(unclaimed?.message == "no master is running force scheduler 'force'; try again once one is")
            try await h.running(force, master: "m1") { service in
                // This instance stands for the scheduler as configured on any other master: the claim is m1's.
                let elsewhere = try scheduler(db)
                let added = try await elsewhere.force(owner: nil, arguments: ["target": "debug"])
                #expect(added.requestIDs.count == 2)
                let schedulerID = try #require(service.fence).serviceID
                #expect(try await db.buildsets.getBuildset(added.buildsetID)?.schedulerID == schedulerID)
                try await db.schedulers.enable(schedulerID, enabled: false)
                let disabled = await #expect(throws: GantryError.self) {
                    try await elsewhere.force(owner: nil, arguments: ["target": "debug"])
                }
                #expect(disabled?.code == .conflict)
            }
        }
    }
}
