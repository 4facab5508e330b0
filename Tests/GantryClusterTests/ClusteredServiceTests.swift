import GantryCluster
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("ClusteredService", .paced)
struct ClusteredServiceTests {
    let clock = ManualClock()
    let poll = Duration.seconds(10)

    /// Runs `body` with a started service of `behavior` on master "me", stopping and awaiting it afterwards.
    private func withService(
        _ behavior: RecordingBehavior,
        failClaims: Bool = false,
        claimGate: Gate? = nil,
        waitForStart: Bool = true,
        _ body: (ClusteredService, CountingClaimer, Database, Int) async throws -> Void
    ) async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let (service, claimer, master) = try await makeService(
                db,
                behavior,
                claimer: CountingClaimer(
                    DatabaseServiceClaimer(database: db, kind: .scheduler),
                    failClaims: failClaims,
                    holding: claimGate
                )
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                if waitForStart { await service.waitUntilStarted() }
                try await body(service, claimer, db, master)
                service.stop()
                try await group.waitForAll()
            }
        }
    }

    /// A service of `behavior` on master "me", claiming through `claimer` (by default, counting real claims).
    private func makeService(
        _ db: Database,
        _ behavior: RecordingBehavior,
        claimer: CountingClaimer? = nil
    ) async throws -> (ClusteredService, CountingClaimer, Int) {
        let master = try await db.masters.findMasterId("me")
        let claimer = claimer ?? CountingClaimer(DatabaseServiceClaimer(database: db, kind: .scheduler))
        let service = ClusteredService(
            behavior: behavior,
            claimer: claimer,
            masterID: master,
            claimPoll: poll,
            clock: clock,
            logger: silentLogger
        )
        return (service, claimer, master)
    }

    /// Claims the scheduler for another master, so this one cannot.
    private func occupy(_ db: Database, name: String = "sched") async throws -> ClaimFence {
        let other = try await db.masters.findMasterId("other")
        let sid = try await db.schedulers.findSchedulerId(name)
        return try await db.schedulers.setSchedulerMaster(sid, masterid: other)
    }

    @Test("an unclaimable service stays inactive and polls once per interval, looking its id up once")
    func pollsPeriodically() async throws {
        let unclaimable = RecordingBehavior()
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            _ = try await occupy(db)
            let (service, claimer, _) = try await makeService(db, unclaimable)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                await service.waitUntilStarted()
                #expect(!service.isActive)
                #expect(claimer.count("claim") == 1)
                await clock.waitForSleepers()
                clock.advance(by: .seconds(9.5))
                #expect(claimer.count("claim") == 1)
                for round in 1...5 {
                    await clock.waitForSleepers()
                    clock.advance(by: round == 1 ? .seconds(0.5) : poll)
                    #expect(await waitUntil { claimer.count("claim") >= 1 + round })
                }
                #expect(claimer.count("claim") == 6)
                #expect(claimer.count("serviceID") == 1)
                #expect(unclaimable.calls.isEmpty)
                service.stop()
            }
            #expect(claimer.count("unclaim") == 0)
        }
    }

    @Test("a claimable service activates once at start, works, and polls no more")
    func activatesOnce() async throws {
        let behavior = RecordingBehavior()
        try await withService(behavior) { service, claimer, db, master in
            #expect(service.isActive)
            #expect(service.fence?.masterID == master)
            for _ in 0..<3 { clock.advance(by: poll) }
            await Task.yield()
            let mine = try await db.schedulers.getSchedulers(masterid: master)
            #expect(claimer.count("claim") == 1)
            #expect(mine.count == 1)
        }
        #expect(behavior.calls == ["activate", "work", "work cancelled", "deactivate"])
    }

    @Test("stop after activation: work cancelled, deactivate, then unclaim of its own claim")
    func stopUnwinds() async throws {
        let behavior = RecordingBehavior()
        var schedulerClaims = -1
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let (service, claimer, _) = try await makeService(db, behavior)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                await service.waitUntilStarted()
                service.stop()
            }
            #expect(claimer.count("unclaim") == 1)
            #expect(!service.isActive)
            schedulerClaims = try await db.count("scheduler_masters")
        }
        #expect(schedulerClaims == 0)
    }

    @Test("a claim error is logged and the service stays inactive, retrying at the next poll")
    func claimRaises() async throws {
        let behavior = RecordingBehavior()
        try await withService(
            behavior,
            failClaims: true
        ) { service, claimer, _, _ in
            #expect(!service.isActive)
            await clock.waitForSleepers()
            clock.advance(by: poll)
            #expect(await waitUntil { claimer.count("claim") >= 2 })
        }
        #expect(behavior.calls.isEmpty)
    }

    @Test("activate raising leaves the service active; deactivate raising still ends it inactive and unclaimed")
    func hookErrors() async throws {
        let behavior = RecordingBehavior(failing: ["activate", "deactivate"])
        try await withService(behavior) { service, _, _, _ in
            #expect(service.isActive)
        }
        #expect(behavior.calls == ["activate", "work", "work cancelled", "deactivate"])
    }

    @Test("stop while the claim is pending waits for it, then unwinds completely")
    func stopWhileClaiming() async throws {
        let behavior = RecordingBehavior()
        let gate = Gate("claim")
        try await withService(
            behavior,
            claimGate: gate,
            waitForStart: false
        ) { service, claimer, db, _ in
            #expect(await waitUntil { gate.arrived })
            service.stop()
            gate.open()
            await service.waitUntilStarted()
            let claims = try await db.count("scheduler_masters")
            #expect(claimer.count("claim") == 1)
            #expect(claims == 1)
        }
        #expect(behavior.calls == ["activate", "work", "work cancelled", "deactivate"])
    }

    @Test("stop while activate is pending waits for it, then deactivates and unclaims")
    func stopWhileActivating() async throws {
        let gate = Gate("activate")
        let behavior = RecordingBehavior(holding: gate)
        try await withService(behavior, waitForStart: false) { service, _, _, _ in
            #expect(await waitUntil { gate.arrived })
            service.stop()
            gate.open()
        }
        #expect(behavior.calls.first == "activate")
        #expect(behavior.calls.last == "deactivate")
    }

    @Test("losing the claim while active deactivates at once; polling resumes and stays passive")
    func losesClaim() async throws {
        let behavior = RecordingBehavior()
        try await withService(behavior) { service, claimer, db, master in
            let fence = try #require(service.fence)
            try await db.masters.setMasterState(master, active: true)
            try await db.masters.setMasterState(master, active: false)
            _ = try await occupy(db)
            await service.revalidate(masterExpired: false)
            #expect(!service.isActive)
            #expect(behavior.calls == ["activate", "work", "work cancelled", "deactivate"])
            await clock.waitForSleepers()
            clock.advance(by: poll)
            #expect(await waitUntil { claimer.count("claim") >= 2 })
            #expect(!service.isActive)
            #expect(try await db.schedulers.getScheduler(fence.serviceID)?.masterID != master)
        }
        #expect(behavior.calls.count == 4)
    }

    @Test("a master found expired deactivates without asking the database, then re-claims when free")
    func masterExpired() async throws {
        let behavior = RecordingBehavior()
        try await withService(behavior) { service, claimer, db, master in
            try await db.masters.masterStopped(master)
            await service.revalidate(masterExpired: true)
            #expect(!service.isActive)
            #expect(claimer.count("isCurrent") == 0)
            await clock.waitForSleepers()
            clock.advance(by: poll)
            #expect(await waitUntil { service.isActive })
            #expect(service.fence?.epoch == 2)
        }
    }

    @Test("a heartbeat with the claim intact changes nothing")
    func revalidateKeeps() async throws {
        let behavior = RecordingBehavior()
        try await withService(behavior) { service, claimer, _, _ in
            await service.revalidate(masterExpired: false)
            await service.revalidate(masterExpired: false)
            #expect(service.isActive)
            #expect(claimer.count("isCurrent") == 2)
        }
        #expect(behavior.calls == ["activate", "work", "work cancelled", "deactivate"])
    }
}
