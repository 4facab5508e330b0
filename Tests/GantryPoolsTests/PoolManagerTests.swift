import Foundation
import GantryCluster
import GantryModel
import GantryPools
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// The pool manager on an injected clock, with the `command` provisioner running real shell commands whose
/// workers never connect; pool `c`'s claim is hosted by a clustered service, as the master's lifecycle hosts it.
@Suite("Pool manager", .paced)
struct PoolManagerTests {
    /// A directory for the provisioner's files, removed afterwards.
    private func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-pools-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory)
    }

    /// The lines the provisioner's commands appended to `file`.
    private func lines(_ directory: URL, _ file: String) -> [String] {
        ((try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    /// A pool `c` for builder `b1` whose command provisioner records starts and stops in `directory/prefix-*`.
    private func pool(_ directory: URL, _ prefix: String) -> PoolSettings {
        var pool = PoolSettings(name: "c", builders: ["b1"], maxWorkers: 3)
        pool.minStartInterval = .seconds(3)
        pool.startTimeout = .seconds(10)
        let path = directory.appendingPathComponent(prefix).path
        pool.provisioner = .command(
            start: #"echo "$WORKER_NAME $WORKER_PASSWORD $MASTER_URL" >> "# + "'\(path)-starts'",
            stop: #"echo "$WORKER_NAME" >> "# + "'\(path)-stops'")
        return pool
    }

    private func events(_ db: Database, of master: String) async throws -> [PoolEvent] {
        try await PoolManagerHarness.events(db, of: master)
    }

    private func manager(_ db: Database, master: String, clock: ManualClock) async throws -> PoolManager {
        try await PoolManagerHarness.manager(db, master: master, clock: clock) { pool in
            guard case .command(let start, let stop) = pool.provisioner else { fatalError("a command pool") }
            return CommandProvisioner(start: start, stop: stop, logger: silentLogger)
        }
    }

    private func host(_ manager: PoolManager, _ db: Database, master: String, clock: ManualClock) async throws
        -> ClusteredService
    {
        try await PoolManagerHarness.host(manager, db, master: master, clock: clock)
    }

    private func stop(_ service: ClusteredService) async {
        await PoolManagerHarness.stop(service)
    }

    @Test(
        "starts are spaced by minStartInterval, a worker never connecting fails after startTimeout, one master manages the pool and the other takes over after terminate"
    )
    func spacingTimeoutAndTakeover() async throws {
        try await withDirectory { directory in
            try await withTestDatabase(.sqlite) { db in
                let builder = try await db.builders.findBuilderId("b1")
                for _ in 0..<5 { _ = try await db.buildsets.addBuildset(reason: "r", builderids: [builder]) }
                let passwords = ["c-1": "pw1", "c-2": "pw2", "c-3": "pw3"]
                let clock = ManualClock()
                let first = try await manager(db, master: "m1", clock: clock)
                await first.configure([pool(directory, "m1")], passwords: passwords)
                let firstRun = Task { try await first.run() }
                let firstService = try await host(first, db, master: "m1", clock: clock)
                // Claimed, it looks at once; then its tick and its demand poll sleep.
                #expect(await waitUntil { lines(directory, "m1-starts") == ["c-1 pw1 127.0.0.1:9989"] })
                await clock.waitForSleepers(2)

                let standby = ManualClock()
                let second = try await manager(db, master: "m2", clock: standby)
                await second.configure([pool(directory, "m2")], passwords: passwords)
                let secondRun = Task { try await second.run() }
                let secondService = try await host(second, db, master: "m2", clock: standby)
                // Its claim poll sleeps; it holds nothing.
                await standby.waitForSleepers(1)
                #expect(try await events(db, of: "m2").isEmpty && lines(directory, "m2-starts").isEmpty)

                // Starts run in the background; the look that asks for one records it at once.
                let requested = { (try? await events(db, of: "m1").count { $0.kind == .startRequested }) ?? -1 }
                var startedAt: [Int: Int] = [:]
                for second in 1...10 {
                    clock.advance(by: .seconds(1))
                    #expect(await waitUntil { await first.ticks(of: "c") == second })
                    await clock.waitForSleepers(2)
                    startedAt[second] = await requested()
                }
                #expect(startedAt[2] == 1 && startedAt[3] == 2 && startedAt[5] == 2 && startedAt[6] == 3)
                #expect(await waitUntil { lines(directory, "m1-stops") == ["c-1"] }, "stopped after startTimeout")
                // Its name is free again once it is stopped: a look soon after starts it again.
                for tick in 11...15 where await requested() < 4 {
                    clock.advance(by: .seconds(1))
                    #expect(await waitUntil { await first.ticks(of: "c") == tick })
                    await clock.waitForSleepers(2)
                }
                #expect(await requested() == 4, "started again, the requests still waiting")
                #expect(await waitUntil { lines(directory, "m1-starts").count == 4 })
                let status = try #require(try await first.status().first)
                #expect(status.startFailures == 1 && status.queued == 5 && status.workers.count == 3)
                #expect(status.managedBy == (try await db.masters.findMasterId("m1")))
                let failed = try await events(db, of: "m1").filter { $0.kind == .startFailed }
                #expect(failed.map(\.worker) == ["c-1"] && failed.first?.detail == "not connected after 10.0 seconds")

                await first.terminate()
                try await firstRun.value
                #expect(Set(lines(directory, "m1-stops")) == ["c-1", "c-2", "c-3"])
                await stop(firstService)
                #expect(try await db.claims(.pool).getClaimingMasters().isEmpty, "the claim is released")
                let released = try await events(db, of: "m1").last
                #expect(released?.kind == .released && released?.detail == "the master is stopping")

                standby.advance(by: .seconds(1))
                #expect(await waitUntil { lines(directory, "m2-starts") == ["c-1 pw1 127.0.0.1:9989"] })
                #expect(try await events(db, of: "m2").first?.kind == .claimed)
                #expect(
                    try await db.claims(.pool).getClaimingMasters() == ["c": try await db.masters.findMasterId("m2")])
                secondRun.cancel()
                try await secondRun.value
                #expect(lines(directory, "m2-stops") == ["c-1"], "cancelled, it still stops what it started")
                await stop(secondService)
                #expect(lines(directory, "m2-stops") == ["c-1"], "released after the run, nothing is stopped twice")
            }
        }
    }

    @Test("a request added between ticks starts a worker at once, without waiting for the next tick")
    func demandBetweenTicks() async throws {
        try await withDirectory { directory in
            try await withTestDatabase(.sqlite) { db in
                let clock = ManualClock()
                let manager = try await manager(db, master: "m1", clock: clock)
                var pool = pool(directory, "m1")
                pool.minStartInterval = .zero
                await manager.configure([pool], passwords: ["c-1": "pw1", "c-2": "pw2", "c-3": "pw3"])
                let run = Task { try await manager.run() }
                let service = try await host(manager, db, master: "m1", clock: clock)
                await clock.waitForSleepers(2)
                #expect(lines(directory, "m1-starts").isEmpty, "nothing queued, nothing started")
                let builder = try await db.builders.findBuilderId("b1")
                for _ in 0..<2 { _ = try await db.buildsets.addBuildset(reason: "r", builderids: [builder]) }
                #expect(await waitUntil { lines(directory, "m1-starts").count == 2 })
                #expect(await manager.ticks(of: "c") == 0 && clock.now.offset == .zero, "no time passed")
                run.cancel()
                try await run.value
                await stop(service)
            }
        }
    }

    @Test("slow starts run side by side without holding up the pool's looks; a start that fails is counted")
    func startsInBackground() async throws {
        try await withDirectory { directory in
            try await withTestDatabase(.sqlite) { db in
                let builder = try await db.builders.findBuilderId("b1")
                for _ in 0..<3 { _ = try await db.buildsets.addBuildset(reason: "r", builderids: [builder]) }
                let clock = ManualClock()
                let manager = try await manager(db, master: "m1", clock: clock)
                var pool = PoolSettings(name: "c", builders: ["b1"], maxWorkers: 3)
                let release = directory.appendingPathComponent("release").path
                let starts = directory.appendingPathComponent("starts").path
                // Each start waits until the test lets it go; c-3's then fails.
                pool.provisioner = .command(
                    start: "while [ ! -e '\(release)' ]; do sleep 0.02; done; "
                        + #"[ "$WORKER_NAME" = c-3 ] && exit 1; echo "$WORKER_NAME" >> "# + "'\(starts)'",
                    stop: "true")
                await manager.configure([pool], passwords: ["c-1": "pw1", "c-2": "pw2", "c-3": "pw3"])
                let run = Task { try await manager.run() }
                let service = try await host(manager, db, master: "m1", clock: clock)
                let requested = { (try? await events(db, of: "m1").count { $0.kind == .startRequested }) ?? -1 }
                #expect(await waitUntil { await requested() == 3 }, "all three asked for in one look")
                await clock.waitForSleepers(2)
                clock.advance(by: .seconds(1))
                #expect(await waitUntil { await manager.ticks(of: "c") == 1 }, "the next look is not held up")
                #expect(lines(directory, "starts").isEmpty)
                #expect(FileManager.default.createFile(atPath: release, contents: nil))
                #expect(await waitUntil { Set(lines(directory, "starts")) == ["c-1", "c-2"] })
                for tick in 2...10 where try await manager.status().first?.startFailures != 1 {
                    await clock.waitForSleepers(2)
                    clock.advance(by: .seconds(1))
                    #expect(await waitUntil { await manager.ticks(of: "c") == tick })
                }
                let failed = try await events(db, of: "m1").filter { $0.kind == .startFailed }
                #expect(failed.map(\.worker) == ["c-3"], "\(failed)")
                #expect(failed.first?.detail?.contains("the start command for c-3 failed") == true)
                run.cancel()
                try await run.value
                await stop(service)
            }
        }
    }

    @Test("a start command that hangs past startTimeout is cancelled and its stop command runs, the pool unblocked")
    func hangingStart() async throws {
        try await withDirectory { directory in
            try await withTestDatabase(.sqlite) { db in
                let builder = try await db.builders.findBuilderId("b1")
                _ = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
                let clock = ManualClock()
                let manager = try await manager(db, master: "m1", clock: clock)
                var pool = PoolSettings(name: "c", builders: ["b1"], maxWorkers: 1)
                pool.startTimeout = .seconds(2)
                let stops = directory.appendingPathComponent("stops").path
                pool.provisioner = .command(start: "exec sleep 600", stop: #"echo "$WORKER_NAME" >> "# + "'\(stops)'")
                await manager.configure([pool], passwords: ["c-1": "pw1"])
                let run = Task { try await manager.run() }
                let service = try await host(manager, db, master: "m1", clock: clock)
                #expect(try await waitUntil { try await events(db, of: "m1").contains { $0.kind == .startRequested } })
                for tick in 1...2 {
                    await clock.waitForSleepers(2)
                    clock.advance(by: .seconds(1))
                    #expect(await waitUntil { await manager.ticks(of: "c") == tick })
                }
                let timedOut = try await events(db, of: "m1")
                #expect(
                    timedOut.contains { $0.kind == .startFailed && $0.detail == "not connected after 2.0 seconds" },
                    "\(timedOut)")
                #expect(await waitUntil { lines(directory, "stops") == ["c-1"] }, "cancelled, then cleaned up")
                run.cancel()
                try await run.value
                await stop(service)
            }
        }
    }
}
