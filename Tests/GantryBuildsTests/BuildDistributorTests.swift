import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// The distributor on a worker port served by a `WorkerManager` reporting to it, with unmodified
/// buildbot-workers 4.3.
@Suite(
    "Distributing builds to real buildbot-workers", .paced,
    .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
    .timeLimit(.minutes(3))
)
struct BuildDistributorTests {
    /// What a test's body gets from ``withServedWorkers(_:steps:workers:maxBuilds:clock:collapse:_:)``.
    private struct Served {
        /// The first worker, `wk1`.
        var worker: BuildbotWorkerProcess
        var builder: Int
        var workerID: Int
        /// The worker port, for workers a test starts itself.
        var port: Int
    }

    /// ``withServedWorkers(_:steps:workers:maxBuilds:clock:collapse:_:)`` for a body that needs neither the port
    /// nor more workers.
    private func withDistributor(
        _ db: Database, steps: [Step], workers names: [String] = ["wk1"], maxBuilds: Int = 1,
        clock: ManualClock = ManualClock(), collapse: CollapseRule = .never,
        _ body: (_ worker: BuildbotWorkerProcess, _ builder: Int, _ workerID: Int) async throws -> Void
    ) async throws {
        try await withServedWorkers(
            db, steps: steps, workers: names, maxBuilds: maxBuilds, clock: clock, collapse: collapse
        ) { served in
            try await body(served.worker, served.builder, served.workerID)
        }
    }

    /// A master `m1` distributing builder `b1` (steps `steps`) to `workers` (`wk1` first, password `pass`) with
    /// `maxBuilds`, collapsing requests as `collapse` says; the distributor's clock is `clock` (its poll and
    /// quarantine), the workers connected before `body` runs.
    private func withServedWorkers(
        _ db: Database, steps: [Step], workers names: [String] = ["wk1"], maxBuilds: Int = 1,
        clock: ManualClock = ManualClock(), collapse: CollapseRule = .never,
        _ body: (Served) async throws -> Void
    ) async throws {
        let master = try await db.masters.findMasterId("m1")
        let manager = WorkerManager(clock: ContinuousClock(), keepalive: .seconds(60), logger: silentLogger)
        let distributor = BuildDistributor(
            database: db, masterID: master, workers: manager, clock: clock, logger: silentLogger)
        let builder = try await db.builders.findBuilderId("b1")
        try await distributor.configure(
            [.init(id: builder, name: "b1", workers: names, steps: steps, collapseRequests: collapse)],
            maxBuilds: ["wk1": maxBuilds])
        let port = WorkerPort(host: "127.0.0.1", port: 0, logger: silentLogger) { names.contains($0) ? "pass" : nil }
        let (bound, boundTo) = AsyncStream<Int>.makeStream()
        let server = Task {
            try await port.run(onBound: { boundTo.yield($0) }, onEnd: { await distributor.ended($0) }) {
                await distributor.serve($0)
            }
        }
        let distributing = Task { await distributor.run() }
        defer {
            distributing.cancel()
            server.cancel()
        }
        var ports = bound.makeAsyncIterator()
        let number = try #require(await ports.next())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-bd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var workers: [BuildbotWorkerProcess] = []
        defer { for worker in workers { Task { await worker.stop() } } }
        for name in names {
            let worker = try await BuildbotWorkerProcess(
                name: name, password: "pass", masterPort: number, directory: directory)
            workers.append(worker)
            #expect(await waitUntil { await manager.worker(named: name) != nil }, "\(worker.log)")
        }
        let workerID = try await db.workers.findWorkerId("wk1")
        try await body(Served(worker: workers[0], builder: builder, workerID: workerID, port: number))
    }

    private func request(_ db: Database, _ builder: Int) async throws -> Int {
        try #require(try await db.buildsets.addBuildset(reason: "test", builderids: [builder]).requestIDs[builder])
    }

    private func results(_ db: Database, _ id: Int) async throws -> BuildResult? {
        try await db.buildRequests.getBuildRequest(id)?.results
    }

    @Test("maxBuilds 2: two builds run on the worker at once, the third waits for one of them")
    func maxBuilds() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withDistributor(db, steps: [.shell("sleep", .shell("sleep 1"))], maxBuilds: 2) { _, builder, _ in
                let ids = [
                    try await request(db, builder), try await request(db, builder), try await request(db, builder),
                ]
                #expect(await waitUntil { (try? await db.builds.getBuilds(complete: false).count) == 2 })
                #expect(try await db.builds.getBuilds().count == 2, "the third waits")
                #expect(try await waitUntil { try await db.buildRequests.getBuildRequests(complete: true).count == 3 })
                for id in ids { #expect(try await results(db, id) == .success) }
            }
        }
    }

    @Test("more builds can start than one round looks for: a full round is followed by another at once")
    func roundsPastTheLimit() async throws {
        try await withTestDatabase(.sqlite) { db in
            let wanted = 103
            let clock = ManualClock()
            try await withDistributor(
                db, steps: [.shell("sleep", .shell("sleep 60"))], maxBuilds: wanted + 2, clock: clock
            ) { _, builder, workerID in
                // Queued while the worker is paused, they are all there when unpausing wakes one round.
                try await db.workers.setWorkerPaused(workerID, paused: true, pauseReason: "queueing")
                for _ in 0..<wanted { _ = try await request(db, builder) }
                await clock.waitForSleepers()
                try await Task.sleep(for: .milliseconds(200))
                try await db.workers.setWorkerPaused(workerID, paused: false)
                // None ends for a minute, and the poll's clock stands still: only the distributor's own rounds
                // start them.
                let started = await waitUntil { (try? await db.builds.getBuilds(complete: false).count) == wanted }
                #expect(
                    started,
                    "all \(wanted) start, past the \(DistributorStateMachine<WorkerLink>.roundLimit) of a round")
            }
        }
    }

    @Test("a paused worker takes no build, even after a poll; unpausing starts it")
    func pause() async throws {
        try await withTestDatabase(.sqlite) { db in
            let clock = ManualClock()
            try await withDistributor(db, steps: [.shell("hi", .shell("echo hi"))], clock: clock) {
                _, builder, workerID in
                try await db.workers.setWorkerPaused(workerID, paused: true, pauseReason: "maintenance")
                let id = try await request(db, builder)
                await clock.waitForSleepers()
                clock.advance(by: .seconds(10))
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await db.builds.getBuilds().isEmpty)
                try await db.workers.setWorkerPaused(workerID, paused: false)
                #expect(try await waitUntil { try await results(db, id) == .success })
            }
        }
    }

    @Test("collapseRequests: requests queued while the worker was paused make one build, of the newest")
    func collapsing() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withDistributor(db, steps: [.shell("hi", .shell("echo hi"))], collapse: .always) {
                _, builder, workerID in
                try await db.workers.setWorkerPaused(workerID, paused: true, pauseReason: "queueing")
                var ids: [Int] = []
                for _ in 0..<3 { ids.append(try await request(db, builder)) }
                try await db.workers.setWorkerPaused(workerID, paused: false)
                #expect(try await waitUntil { try await db.buildRequests.getBuildRequests(complete: true).count == 3 })
                let requests = try await db.buildRequests.getBuildRequests(ids: ids)
                #expect(requests.map(\.results) == [.skipped, .skipped, .success])
                #expect(try await db.builds.getBuilds().map(\.buildRequestID) == [ids[2]])
            }
        }
    }

    @Test("graceful: the worker finishes its build, is shut down, and takes nothing more")
    func graceful() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withDistributor(db, steps: [.shell("sleep", .shell("sleep 1"))]) { worker, builder, workerID in
                let first = try await request(db, builder)
                #expect(await waitUntil { (try? await db.builds.getBuilds().count) == 1 })
                try await db.workers.setWorkerGraceful(workerID, graceful: true)
                let second = try await request(db, builder)
                #expect(try await waitUntil { try await results(db, first) == .success })
                #expect(await worker.waitForExit() != nil, "the worker process exits")
                #expect(try await db.buildRequests.getBuildRequest(second)?.complete == false)
                #expect(try await db.builds.getBuilds().count == 1)
            }
        }
    }

    @Test("kill: the worker is shut down at once; its build ends RETRY and the request waits again")
    func kill() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withDistributor(db, steps: [.shell("sleep", .shell("sleep 30"))]) { worker, builder, workerID in
                let id = try await request(db, builder)
                #expect(await waitUntil { (try? await db.steps.getSteps(buildid: 1).first?.startedAt) != nil })
                try await db.workers.setWorkerKillRequested(workerID, true)
                #expect(await worker.waitForExit() != nil)
                #expect(try await waitUntil { try await db.builds.getBuild(1)?.results == .retry })
                let pending = try await db.buildRequests.getBuildRequests(complete: false, claimed: .unclaimed)
                #expect(pending.map(\.id) == [id])
                #expect(try await waitUntil { try await db.workers.getWorkerControls(masterid: 1).isEmpty })
            }
        }
    }

    @Test("a killed worker that reconnects at once, as a supervised one does, can be killed again")
    func killAfterReconnect() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withServedWorkers(db, steps: [.shell("hi", .shell("echo hi"))]) { served in
                let master = try await db.masters.findMasterId("m1")
                try await db.workers.setWorkerKillRequested(served.workerID, true)
                #expect(await served.worker.waitForExit() != nil)
                #expect(try await waitUntil { try await db.workers.getWorkerControls(masterid: master).isEmpty })
                // Nothing wakes the distributor between the disconnection and the new connection.
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "gantry-bd-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: directory) }
                let again = try await BuildbotWorkerProcess(
                    name: "wk1", password: "pass", masterPort: served.port, directory: directory)
                defer { Task { await again.stop() } }
                #expect(
                    try await waitUntil { try await db.workers.getWorkerControls(masterid: master)["wk1"] != nil },
                    "\(again.log)")
                try await db.workers.setWorkerKillRequested(served.workerID, true)
                let gone = try await waitUntil { try await db.workers.getWorkerControls(masterid: master).isEmpty }
                #expect(gone, "the new connection is shut down too")
                if gone { #expect(await again.waitForExit() != nil) }
            }
        }
    }

    @Test("a worker killed mid-build: the build ends RETRY and the request is built on the other worker")
    func workerLost() async throws {
        try await withTestDatabase(.sqlite) { db in
            let steps: [Step] = [.shell("sleep", .shell("sleep 2"))]
            try await withDistributor(db, steps: steps, workers: ["wk1", "wk2"]) { first, builder, firstID in
                let id = try await request(db, builder)
                #expect(await waitUntil { (try? await db.steps.getSteps(buildid: 1).first?.startedAt) != nil })
                let victim = try #require(try await db.builds.getBuild(1)?.workerID)
                if victim == firstID {
                    first.send(SIGKILL)
                } else {
                    try await db.workers.setWorkerKillRequested(victim, true)
                }
                #expect(try await waitUntil { try await results(db, id) == .success })
                let builds = try await db.builds.getBuilds()
                #expect(builds.map(\.results) == [.retry, .success])
                #expect(builds.last?.workerID != victim, "built on the other worker")
            }
        }
    }

    @Test("a stop requested in the database (from any master) stops the running build: CANCELLED")
    func stop() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withDistributor(db, steps: [.shell("sleep", .shell("sleep 30"))]) { _, builder, _ in
                let id = try await request(db, builder)
                #expect(await waitUntil { (try? await db.steps.getSteps(buildid: 1).first?.startedAt) != nil })
                try await db.builds.requestBuildStop(1, reason: "by ada")
                #expect(try await waitUntil { try await results(db, id) == .cancelled })
                #expect(try await db.builds.getBuild(1)?.results == .cancelled)
            }
        }
    }

    @Test("a build ending EXCEPTION quarantines its worker for 10 s of the clock, then 20 s after another")
    func quarantine() async throws {
        try await withTestDatabase(.sqlite) { db in
            let clock = ManualClock()
            let broken = Step.shell("broken", .shell("echo %(secret:missing)s"))
            try await withDistributor(db, steps: [broken], clock: clock) { _, builder, _ in
                let first = try await request(db, builder)
                #expect(try await waitUntil { try await results(db, first) == .exception })
                let second = try await request(db, builder)
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await db.builds.getBuilds().count == 1, "quarantined")
                await clock.waitForSleepers(2)
                clock.advance(by: .seconds(10))
                #expect(try await waitUntil { try await results(db, second) == .exception })
                let third = try await request(db, builder)
                await clock.waitForSleepers(2)
                clock.advance(by: .seconds(10))
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await db.builds.getBuilds().count == 2, "the second quarantine lasts 20 s")
                clock.advance(by: .seconds(10))
                #expect(try await waitUntil { try await results(db, third) == .exception })
            }
        }
    }
}
