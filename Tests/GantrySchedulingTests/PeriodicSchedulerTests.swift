import GantryCluster
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("PeriodicScheduler", .paced, .timeLimit(.minutes(3)))
struct PeriodicSchedulerTests {
    let clock = ManualClock()

    private func service(_ db: Database, master: String, interval: Duration = .seconds(60)) async throws
        -> ClusteredService
    {
        for builder in ["linux", "mac"] { _ = try await db.builders.findBuilderId(builder) }
        let scheduler = PeriodicScheduler(
            options: SchedulerOptions(name: "every-minute", builderNames: ["linux", "mac"]),
            interval: interval,
            context: .testing(db, clock)
        )
        return ClusteredService(
            behavior: scheduler,
            claimer: DatabaseServiceClaimer(database: db, kind: .scheduler),
            masterID: try await db.masters.findMasterId(master),
            claimPoll: .seconds(5),
            clock: clock,
            logger: silentLogger
        )
    }

    private func buildsets(_ db: Database) async throws -> [Buildset] {
        try await db.buildsets.getBuildsets()
    }

    /// Waits until the database holds `count` buildsets.
    private func waitForBuildsets(_ db: Database, _ count: Int) async throws {
        #expect(try await waitUntil { try await buildsets(db).count >= count })
    }

    @Test("never built: builds at once, then every interval, with Buildbot's reason and property")
    func schedule() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let periodic = try await service(db, master: "m1")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await periodic.run() }
                try await waitForBuildsets(db, 1)
                for count in 2...4 {
                    await clock.waitForSleepers(1)
                    clock.advance(by: .seconds(59))
                    #expect(try await buildsets(db).count == count - 1)
                    clock.advance(by: .seconds(1))
                    try await waitForBuildsets(db, count)
                }
                periodic.stop()
                try await group.waitForAll()
            }
            let all = try await buildsets(db)
            #expect(
                all.map { Int($0.submittedAt.timeIntervalSince1970) - Int(all[0].submittedAt.timeIntervalSince1970) }
                    == [0, 60, 120, 180])
            #expect(all.allSatisfy { $0.reason == "The Periodic scheduler named 'every-minute' triggered this build" })
            #expect(all.first?.properties == ["scheduler": ["every-minute", "Scheduler"]])
            #expect(try await db.buildRequests.getBuildRequests().count == 8)
        }
    }

    @Test("a master taking over continues from last_build; a missed time builds at once")
    func failover() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let first = try await service(db, master: "m1")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await first.run() }
                try await waitForBuildsets(db, 1)
                first.stop()
                try await group.waitForAll()
            }
            clock.advance(by: .seconds(30))
            let second = try await service(db, master: "m2")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await second.run() }
                await second.waitUntilStarted()
                await clock.waitForSleepers(1)
                #expect(try await buildsets(db).count == 1)
                clock.advance(by: .seconds(30))
                try await waitForBuildsets(db, 2)
                second.stop()
                try await group.waitForAll()
            }
            clock.advance(by: .seconds(600))
            let third = try await service(db, master: "m3")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await third.run() }
                try await waitForBuildsets(db, 3)
                third.stop()
                try await group.waitForAll()
            }
            let times = try await buildsets(db).map { Int($0.submittedAt.timeIntervalSince1970) }
            #expect(times[1] - times[0] == 60)
            #expect(times[2] - times[1] == 600)
        }
    }

    @Test("a deposed master's periodic build is refused: one buildset per period")
    func fenced() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let deposed = try await service(db, master: "m1")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await deposed.run() }
                try await waitForBuildsets(db, 1)
                let fence = try #require(deposed.fence)
                // A peer expires m1 and m2 claims the scheduler, but m1 has not noticed yet.
                try await db.masters.masterStopped(fence.masterID)
                let m2 = try await db.masters.findMasterId("m2")
                try await db.schedulers.setSchedulerMaster(fence.serviceID, masterid: m2)
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(60))
                let settled = try await waitUntil {
                    await deposed.revalidate(masterExpired: false)
                    let count = try await buildsets(db).count
                    return !deposed.isActive || count != 1
                }
                #expect(settled)
                #expect(try await buildsets(db).count == 1)
                deposed.stop()
                try await group.waitForAll()
            }
        }
    }

    @Test("a database error does not end the schedule: the build is retried after retryDelay")
    func retriesAfterDatabaseError() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let periodic = try await service(db, master: "m1")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await periodic.run() }
                try await waitForBuildsets(db, 1)
                await clock.waitForSleepers(1)
                try await db.execute("ALTER TABLE buildset_properties RENAME TO unavailable")
                clock.advance(by: .seconds(60))
                await clock.waitForSleepers(1)
                #expect(try await db.count("buildsets") == 1)
                try await db.execute("ALTER TABLE unavailable RENAME TO buildset_properties")
                clock.advance(by: .seconds(5))
                try await waitForBuildsets(db, 2)
                #expect(periodic.isActive)
                periodic.stop()
                try await group.waitForAll()
            }
        }
    }
}
