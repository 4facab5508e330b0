import Foundation
import GantryCluster
import GantryModel
import GantryPools
import GantryStorage
import GantryTesting
import Testing

/// The races of a pool's instances, after the scenarios of Buildbot's latent worker tests, with a scripted
/// provider on an injected clock: stop during start, a start that never connects, an instance dying, a
/// connection cut mid-build, a reload during start, quota and permanent failures, and a master taking over what
/// a dead one left. Two masters competing for a pool are in ``PoolManagerTests``.
@Suite("Pool instance races", .paced)
struct PoolRaceTests {
    typealias Harness = PoolManagerHarness

    /// Pool `c` for builder `b1`, `change`d.
    private func pool(_ change: (inout PoolSettings) -> Void = { _ in }) -> PoolSettings {
        var pool = PoolSettings(name: "c", builders: ["b1"], maxWorkers: 2, startTimeout: .seconds(3))
        change(&pool)
        return pool
    }

    private let passwords = ["c-1": "pw1", "c-2": "pw2"]

    /// Runs `body` with master `m1` managing pool `settings` through `provider`, `requests` requests waiting;
    /// the manager is stopped and its claim released afterwards.
    private func withPool(
        _ settings: PoolSettings, requests: Int = 1, provider: ScriptedProvisioner,
        workers: (any PoolWorkers)? = nil, _ body: (Database, PoolManager, ManualClock) async throws -> Void
    ) async throws {
        try await withTestDatabase(.sqlite) { db in
            let builder = try await db.builders.findBuilderId("b1")
            for _ in 0..<requests { _ = try await db.buildsets.addBuildset(reason: "r", builderids: [builder]) }
            let clock = ManualClock()
            let manager = try await Harness.manager(db, master: "m1", clock: clock, workers: workers) { _ in
                provider
            }
            await manager.configure([settings], passwords: passwords)
            let run = Task { try await manager.run() }
            let service = try await Harness.host(manager, db, master: "m1", clock: clock)
            do {
                try await body(db, manager, clock)
            } catch {
                run.cancel()
                await Harness.stop(service)
                throw error
            }
            run.cancel()
            try? await run.value
            await Harness.stop(service)
        }
    }

    /// Ticks once and waits for the look it wakes.
    private func tick(_ manager: PoolManager, _ clock: ManualClock) async {
        let before = await manager.ticks(of: "c")
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(1))
        #expect(await waitUntil { await manager.ticks(of: "c") > before }, "the tick was looked at")
    }

    /// Whether pool `c`'s log has an event of `kind` by master m1, waiting for it a while.
    private func logged(_ db: Database, _ kind: PoolEvent.Kind, detail: String? = nil) async -> Bool {
        await waitUntil {
            let events = (try? await Harness.events(db, of: "m1")) ?? []
            return events.contains { $0.kind == kind && (detail == nil || $0.detail == detail) }
        }
    }

    private func instances(_ db: Database) async throws -> [PoolInstance] {
        try await db.poolInstances.getInstances("c")
    }

    @Test("stop during start: a reload without the pool cancels the start, and its instance is recorded stopped")
    func stopDuringStart() async throws {
        let provider = ScriptedProvisioner()
        provider.script("c-1", .hang)
        try await withTestDatabase(.sqlite) { db in
            _ = try await db.buildsets.addBuildset(reason: "r", builderids: [try await db.builders.findBuilderId("b1")])
            let clock = ManualClock()
            let manager = try await Harness.manager(db, master: "m1", clock: clock) { _ in provider }
            await manager.configure([pool()], passwords: passwords)
            let run = Task { try await manager.run() }
            let service = try await Harness.host(manager, db, master: "m1", clock: clock)
            #expect(await waitUntil { provider.starts == ["c-1"] })
            // A reload without the pool: the master stops the pool's service, which releases its claim.
            await manager.configure([], passwords: [:])
            await Harness.stop(service)
            #expect(provider.cancelled == ["c-1"])
            let stopped = try await instances(db)
            #expect(stopped.map(\.state) == [.stopped] && stopped.first?.detail == "retired: the pool was removed")
            #expect(try await Harness.events(db, of: "m1").last?.kind == .released)
            #expect(provider.starts == ["c-1"], "nothing else starts")
            run.cancel()
            try? await run.value
        }
    }

    @Test("master stop mid-start: terminate cancels the start, and its instance is recorded stopped")
    func masterStopDuringStart() async throws {
        let provider = ScriptedProvisioner()
        provider.script("c-1", .hang)
        try await withPool(pool(), provider: provider) {
            (db: Database, manager: PoolManager, _: ManualClock) async throws in
            #expect(await waitUntil { provider.starts == ["c-1"] })
            #expect(try await instances(db).map(\.state) == [.starting], "recorded before the provider is asked")
            await manager.terminate()
            #expect(provider.cancelled == ["c-1"])
            let stopped = try await instances(db)
            #expect(stopped.map(\.state) == [.stopped] && stopped.first?.detail == "retired: the master is stopping")
        }
    }

    @Test("a start that never connects is stopped after startTimeout, recorded as failed, and started again")
    func neverConnects() async throws {
        let provider = ScriptedProvisioner()
        try await withPool(pool { $0.maxWorkers = 1 }, provider: provider) {
            (db: Database, manager: PoolManager, clock: ManualClock) async throws in
            #expect(await waitUntil { provider.starts == ["c-1"] })
            #expect(await waitUntil { (try? await instances(db).first?.providerID) == "i-1" })
            for _ in 0..<3 { await tick(manager, clock) }
            #expect(await waitUntil { provider.stops == ["i-1"] })
            let again = await waitUntil { provider.starts == ["c-1", "c-1"] }
            let events = try await Harness.events(db, of: "m1")
            #expect(again, "its name is free again: \(provider.starts) \(events)")
            #expect(await waitUntil { (try? await instances(db).first?.providerID) == "i-2" })
            let recorded = try await instances(db)
            #expect(recorded.last?.detail == "start failed: not connected after 3.0 seconds")
            #expect(recorded.first?.state == .starting)
        }
    }

    @Test("an instance that dies is pruned: stopped in its record, removed, and replaced")
    func instanceDies() async throws {
        let provider = ScriptedProvisioner()
        try await withPool(pool(), provider: provider) {
            (db: Database, manager: PoolManager, clock: ManualClock) async throws in
            #expect(await waitUntil { (try? await instances(db).first?.providerID) == "i-1" })
            provider.kill("i-1")
            await tick(manager, clock)
            #expect(await waitUntil { provider.starts.count == 2 })
            #expect(await waitUntil { (try? await instances(db).last?.detail) == "pruned: its process ended" })
            #expect(await waitUntil { !provider.existing.contains("i-1") }, "what is left of it is removed")
        }
    }

    @Test("a reload during a start leaves the start going, under the new settings, and the instance starts once")
    func reloadDuringStart() async throws {
        let provider = ScriptedProvisioner()
        provider.script("c-1", .gate)
        try await withPool(pool { $0.maxWorkers = 1 }, provider: provider) {
            (db: Database, manager: PoolManager, clock: ManualClock) async throws in
            #expect(await waitUntil { provider.starts == ["c-1"] })
            let longer = pool {
                $0.maxWorkers = 1
                $0.startTimeout = .seconds(5)
            }
            await manager.configure([longer], passwords: passwords)
            for _ in 0..<3 { await tick(manager, clock) }
            provider.open()
            #expect(await waitUntil { (try? await instances(db).first?.providerID) == "i-1" })
            #expect(provider.cancelled.isEmpty && provider.stops.isEmpty, "3 s in, within the new startTimeout")
            #expect(provider.starts == ["c-1"])
            #expect(try await instances(db).map(\.state) == [.starting])
        }
    }

    @Test("a connection cut mid-build: the instance is pruned, stopped and replaced by one that counts afresh")
    func connectionCutMidBuild() async throws {
        let provider = ScriptedProvisioner()
        let workers = ScriptedWorkers()
        try await withPool(pool { $0.maxWorkers = 1 }, provider: provider, workers: workers) {
            (db: Database, manager: PoolManager, clock: ManualClock) async throws in
            #expect(await waitUntil { (try? await instances(db).first?.providerID) == "i-1" })
            workers.attach("c-1", busy: true)
            await tick(manager, clock)
            #expect(await waitUntil { (try? await instances(db).first?.state) == .running })
            workers.cut("c-1")
            await tick(manager, clock)
            #expect(await waitUntil { provider.stops == ["i-1"] }, "its instance, still running, is stopped")
            #expect(
                await waitUntil {
                    (try? await instances(db))?.contains { $0.detail == "pruned: it stopped answering" } == true
                })
            await tick(manager, clock)
            #expect(await waitUntil { provider.starts == ["c-1", "c-1"] }, "replaced: the request still waits")
            #expect(await waitUntil { workers.instancesStarting == ["c-1", "c-1"] }, "each instance counts afresh")
        }
    }

    @Test("a quota refusal defers the start without counting a failure")
    func quota() async throws {
        let provider = ScriptedProvisioner()
        provider.script("c-1", .fail(ProvisionerError(.quota, "the project's quota is used up")))
        try await withPool(pool { $0.maxWorkers = 1 }, provider: provider) {
            (db: Database, manager: PoolManager, clock: ManualClock) async throws in
            #expect(await waitUntil { provider.starts == ["c-1"] })
            await tick(manager, clock)
            #expect(await logged(db, .startDeferred, detail: "the project's quota is used up"))
            #expect(try await manager.status().first?.startFailures == 0)
            #expect(
                await waitUntil {
                    (try? await instances(db).first?.detail) == "start deferred: the project's quota is used up"
                })
            await tick(manager, clock)
            try await Task.sleep(for: .milliseconds(500))
            #expect(provider.starts == ["c-1"], "it waits before trying again")
        }
    }

    @Test("a permanent failure blocks the pool and says why, until the configuration is reloaded")
    func permanent() async throws {
        let provider = ScriptedProvisioner()
        provider.script("c-1", .fail(ProvisionerError(.permanent, "image 'x' is missing")))
        try await withPool(pool { $0.maxWorkers = 1 }, provider: provider) {
            (db: Database, manager: PoolManager, clock: ManualClock) async throws in
            #expect(await waitUntil { provider.starts == ["c-1"] })
            await tick(manager, clock)
            #expect(try await manager.status().first?.blocked == "image 'x' is missing")
            #expect(await logged(db, .blocked, detail: "image 'x' is missing"))
            await tick(manager, clock)
            // A start, were one asked for, would follow the look at once.
            try await Task.sleep(for: .milliseconds(500))
            #expect(provider.starts == ["c-1"], "nothing starts while blocked")
            provider.script("c-1", .succeed)
            await manager.configure([pool { $0.maxWorkers = 1 }], passwords: passwords)
            await tick(manager, clock)
            #expect(await waitUntil { provider.starts == ["c-1", "c-1"] })
            #expect(try await manager.status().first?.blocked == nil)
        }
    }

    @Test("a master taking the pool over reaps what a dead master recorded and what no record knows")
    func takeoverReaps() async throws {
        let provider = ScriptedProvisioner()
        try await withTestDatabase(.sqlite) { db in
            // Master m0 started two instances and died without stopping them; its claim is gone.
            let claims = db.claims(.pool)
            let dead = try await db.masters.findMasterId("m0")
            let fence = try await claims.claim(try await claims.findServiceId("c"), masterid: dead)
            let cluster = try await db.poolInstances.clusterName()
            let row = try await db.poolInstances.addInstance(
                pool: "c", worker: "c-1", provisioner: "scripted", fence: fence)
            try await db.poolInstances.setProviderID(row, "old-1")
            provider.plant("old-1", labels: ["gantry.cluster": cluster, "gantry.pool": "c", "gantry.worker": "c-1"])
            provider.plant("lost-2", labels: ["gantry.cluster": cluster, "gantry.pool": "c", "gantry.worker": "c-2"])
            provider.plant("other", labels: ["gantry.cluster": "another", "gantry.pool": "c", "gantry.worker": "c-2"])
            #expect(try await claims.unclaim(fence))

            let clock = ManualClock()
            let manager = try await Harness.manager(db, master: "m1", clock: clock) { _ in provider }
            await manager.configure([pool()], passwords: passwords)
            let run = Task { try await manager.run() }
            let service = try await Harness.host(manager, db, master: "m1", clock: clock)
            #expect(await waitUntil { provider.reaps.sorted() == ["lost-2", "old-1"] }, "each once")
            #expect(provider.existing == ["other"], "another cluster's instance is not touched")
            #expect(
                await waitUntil {
                    let events = (try? await Harness.events(db, of: "m1")) ?? []
                    return events.count { $0.kind == .reaped } == 2
                })
            let recorded = try await db.poolInstances.getInstances("c")
            #expect(recorded.map(\.state) == [.stopped])
            #expect(recorded.first?.detail == "reaped: left by master \(dead)")
            run.cancel()
            try? await run.value
            await Harness.stop(service)
        }
    }

    @Test("a leftover that cannot be reaped keeps its record: its worker's name waits, and starts once it is reaped")
    func failedReap() async throws {
        let provider = ScriptedProvisioner()
        provider.failReaps(ProvisionerError(.transient, "the engine does not answer"))
        try await withTestDatabase(.sqlite) { db in
            let claims = db.claims(.pool)
            let dead = try await db.masters.findMasterId("m0")
            let fence = try await claims.claim(try await claims.findServiceId("c"), masterid: dead)
            let row = try await db.poolInstances.addInstance(
                pool: "c", worker: "c-1", provisioner: "scripted", fence: fence)
            try await db.poolInstances.setProviderID(row, "old-1")
            provider.plant("old-1", labels: ["gantry.pool": "c", "gantry.worker": "c-1"])
            #expect(try await claims.unclaim(fence))
            _ = try await db.buildsets.addBuildset(reason: "r", builderids: [try await db.builders.findBuilderId("b1")])

            let clock = ManualClock()
            let manager = try await Harness.manager(db, master: "m1", clock: clock) { _ in provider }
            await manager.configure([pool { $0.maxWorkers = 1 }], passwords: passwords)
            let run = Task { try await manager.run() }
            let service = try await Harness.host(manager, db, master: "m1", clock: clock)
            let waiting = "c-1 still has a live instance recorded, which is to be reaped first"
            #expect(await logged(db, .startRequested))
            // Its record is refused at once; the next look sees the failed start.
            try await Task.sleep(for: .milliseconds(200))
            await tick(manager, clock)
            #expect(await logged(db, .startFailed, detail: waiting))
            #expect(provider.starts.isEmpty && provider.existing == ["old-1"], "nothing started beside it")
            #expect(try await db.poolInstances.getLiveInstances("c").map(\.id) == [row], "its record stays live")

            provider.failReaps(nil)
            // The pool reaps again every 60 s; the look after that starts the worker.
            for _ in 0..<60 { await tick(manager, clock) }
            #expect(await waitUntil { provider.reaps == ["old-1"] } && !provider.existing.contains("old-1"))
            #expect(
                await waitUntil {
                    (try? await db.poolInstances.getInstances("c"))?.contains { $0.id == row && $0.state == .stopped }
                        == true
                })
            await tick(manager, clock)
            #expect(await waitUntil { provider.starts == ["c-1"] }, "started once the leftover is reaped")
            run.cancel()
            try? await run.value
            await Harness.stop(service)
        }
    }
}
