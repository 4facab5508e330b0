import GantryCluster
import GantryModel
import GantryStorage
import GantryTesting
import Synchronization
import Testing

@Suite("MasterLifecycle", .paced)
struct MasterLifecycleTests {
    let clock = ManualClock()
    let settings = ClusterSettings(heartbeat: .seconds(1), expireAfter: .seconds(3), claimPoll: .seconds(1))

    /// A running master in this process, with its services and the events it announced.
    final class Running: Sendable {
        let lifecycle: MasterLifecycle
        private let state = Mutex<(id: Int?, services: [ClusteredService])>((nil, []))
        private let log: EventLog

        init(
            _ name: String, db: Database, settings: ClusterSettings, clock: ManualClock, builders: [String] = [],
            services: [String]
        ) async throws {
            let log = EventLog()
            self.log = log
            lifecycle = MasterLifecycle(
                name: name,
                masterID: try await db.masters.findMasterId(name),
                database: db,
                settings: settings,
                clock: clock,
                builders: builders,
                services: services.map { RecordingBehavior(name: $0) },
                logger: silentLogger
            ) { event in log.record(event) }
        }

        func started(_ id: Int, _ services: [ClusteredService]) {
            state.withLock {
                $0.id = id
                $0.services = services
            }
        }
        var id: Int? { state.withLock { $0.id } }
        var services: [ClusteredService] { state.withLock { $0.services } }
        var events: [ClusterEvent] { log.events }
        var activeCount: Int { services.filter(\.isActive).count }
    }

    final class EventLog: Sendable {
        private let recorded = Mutex<[ClusterEvent]>([])
        func record(_ event: ClusterEvent) { recorded.withLock { $0.append(event) } }
        var events: [ClusterEvent] { recorded.withLock { $0 } }
    }

    /// Moves each clock one second at a time, `count` times, first letting at least the given number of tasks
    /// reach their sleep on each.
    private func beat(_ count: Int, _ clocks: [(ManualClock, Int)]) async {
        for _ in 0..<count {
            for (clock, sleepers) in clocks { await clock.waitForSleepers(sleepers) }
            for (clock, _) in clocks { clock.advance(by: .seconds(1)) }
        }
        for (clock, sleepers) in clocks { await clock.waitForSleepers(sleepers) }
    }

    /// Moves the clocks one second at a time (each once at least one task sleeps on it) until `condition`
    /// holds; `false` if it never does within `seconds`. A second may pass before a master's heartbeat is
    /// back asleep, so tests state the outcome to reach rather than an exact number of beats.
    private func advance(
        _ clocks: [ManualClock],
        upTo seconds: Int = 60,
        until condition: () async throws -> Bool
    ) async rethrows -> Bool {
        for _ in 0..<seconds {
            if try await condition() { return true }
            for clock in clocks { await clock.waitForSleepers(1) }
            for clock in clocks { clock.advance(by: .seconds(1)) }
        }
        return try await waitUntil(limit: .seconds(5), condition)
    }

    @Test("start registers and activates the master and claims its services; stop releases everything")
    func startAndStop() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let master = try await Running("m1", db: db, settings: settings, clock: clock, services: ["a", "b"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await master.lifecycle.run(started: master.started) }
                #expect(await waitUntil { master.id != nil })
                let id = try #require(master.id)
                #expect(master.activeCount == 2)
                #expect(try await db.masters.getMaster(id)?.active == true)
                #expect(master.events == [.masterStarted(id: id, name: "m1")])
                master.lifecycle.stop()
                try await group.waitForAll()
                #expect(try await db.masters.getMaster(id)?.active == false)
                #expect(try await db.count("scheduler_masters") == 0)
                #expect(master.events == [.masterStarted(id: id, name: "m1"), .masterStopped(id: id, name: "m1")])
            }
        }
    }

    @Test("a restarted master cleans its own stale claims first, then claims afresh")
    func restartCleansOwnRows() async throws {
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let id = try await db.masters.findMasterId("m1")
            try await db.masters.masterActive(id)
            let sid = try await db.schedulers.findSchedulerId("a")
            let stale = try await db.schedulers.setSchedulerMaster(sid, masterid: id)
            let master = try await Running("m1", db: db, settings: settings, clock: clock, services: ["a"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await master.lifecycle.run(started: master.started) }
                #expect(await waitUntil { master.id != nil })
                #expect(master.events.first == .masterStopped(id: id, name: "m1"))
                #expect(master.services.first?.fence?.epoch == stale.epoch + 1)
                master.lifecycle.stop()
                try await group.waitForAll()
            }
        }
    }

    /// Runs masters m1, holding services a and b, and m2, passive for them, for the length of `body`; m1 sleeps
    /// on a clock of its own (`paused`), so that not moving it freezes m1 as SIGSTOP freezes a real master.
    private func withTwoMasters(
        settings: ClusterSettings,
        _ body: (Database, _ first: Running, _ second: Running, _ paused: ManualClock) async throws -> Void
    ) async throws {
        let paused = ManualClock()
        try await withTestDatabase(.sqlite, clock: clock.wallClock) { db in
            let first = try await Running(
                "m1", db: db, settings: settings, clock: paused, builders: ["linux"], services: ["a", "b"])
            let second = try await Running("m2", db: db, settings: settings, clock: clock, services: ["a", "b"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.lifecycle.run(started: first.started) }
                #expect(await waitUntil { first.id != nil })
                group.addTask { try await second.lifecycle.run(started: second.started) }
                #expect(await waitUntil { second.id != nil })
                try await body(db, first, second, paused)
                first.lifecycle.stop()
                paused.advance(by: .seconds(1))
                second.lifecycle.stop()
                try await group.waitForAll()
            }
        }
    }

    @Test("a silent peer is expired after expireAfter and its services fail over; it returns passive")
    func failover() async throws {
        try await withTwoMasters(settings: settings) { db, first, second, paused in
            let firstID = try #require(first.id)
            #expect(first.activeCount == 2)
            #expect(second.activeCount == 0)

            // Both check in: nobody is expired, nothing moves.
            await beat(6, [(paused, 1), (clock, 3)])
            #expect(first.activeCount == 2)
            #expect(second.activeCount == 0)
            #expect(try await db.masters.getMasters().items.allSatisfy(\.active))

            // m1 is frozen; m2 expires it and takes its services over.
            let tookOver = try await advance([clock]) {
                try await db.masters.getMaster(firstID)?.active == false && second.activeCount == 2
            }
            #expect(tookOver)
            #expect(second.events.contains(.masterStopped(id: firstID, name: "m1")))

            // m1 resumes: it finds it was expired, deactivates at once, checks in again and stays passive.
            paused.advance(by: .seconds(1))
            let returned = try await advance([paused, clock]) {
                try await db.masters.getMaster(firstID)?.active == true && first.activeCount == 0
            }
            #expect(returned)
            _ = await advance([paused, clock], upTo: 4) { false }
            #expect(first.activeCount == 0)
            #expect(second.activeCount == 2)
            // Back, it registers its builders again (the expiry deleted them) and announces itself once more,
            // so the workers still connected to it are recorded again.
            #expect(try await db.builders.getBuilders(masterid: firstID).map(\.name) == ["linux"])
            #expect(first.events.filter { $0 == .masterStarted(id: firstID, name: "m1") }.count == 2)
        }
    }

    @Test("a master that expires a peer claims what it held at once, without waiting for the claim poll")
    func claimsAtOnceAfterExpiry() async throws {
        let slowPoll = ClusterSettings(heartbeat: .seconds(1), expireAfter: .seconds(3), claimPoll: .seconds(600))
        try await withTwoMasters(settings: slowPoll) { db, first, second, _ in
            let firstID = try #require(first.id)

            // m1 is frozen; m2 expires it and claims its services long before one claim poll is over.
            let tookOver = try await advance([clock], upTo: 30) {
                try await db.masters.getMaster(firstID)?.active == false && second.activeCount == 2
            }
            #expect(tookOver)
        }
    }
}
