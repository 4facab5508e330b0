import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// Builds and steps waiting for locks, run by `BuildRunner` on an unmodified buildbot-worker 4.3.
@Suite(
    "Locks of builds and steps on a real buildbot-worker", .paced,
    .enabled(if: BuildbotWorkerProcess.executable != nil, "GANTRY_TEST_BUILDBOT_WORKER is not set"),
    .timeLimit(.minutes(3))
)
struct LockWaitTests {
    private let lock = LockConfig(name: "db")

    private func step(_ name: String, _ command: String, locks: [LockAccess] = []) -> Step {
        var step = Step.shell(name, .shell(command))
        step.locks = locks
        return step
    }

    /// The build of `request`, once there is one.
    private func findBuild(of request: BuildRequest, in db: Database) async throws -> Build? {
        try await db.builds.getBuilds(buildrequestid: request.id).first
    }

    @Test(
        "a build waits for a lock held by another, saying so; a step waits the same way; stopping a waiting build cancels it without running a step; the holder's end lets the waiting step run"
    )
    func waiting() async throws {
        let time = ManualWallClock()
        try await withTestDatabase(.sqlite, clock: time.clock) { db in
            try await WorkerPortHarness.withPort(passwords: ["wk1": "pass1"]) { harness in
                let (worker, link, info) = try await harness.connect(name: "wk1", password: "pass1")
                defer { Task { await worker.stop() } }
                let (master, workerID, first) = try await claimedRequest(in: db)
                let (_, _, second) = try await claimedRequest(in: db)
                let (_, _, third) = try await claimedRequest(in: db)
                let runner = BuildRunner(database: db, masterID: master, logger: silentLogger)
                func job(_ request: BuildRequest, locks: [LockAccess], _ steps: [Step]) -> BuildRunner.Assignment {
                    var job = BuildRunner.Assignment(
                        request: request, builderName: "b1", workerID: workerID, link: link, info: info, steps: steps)
                    job.locks = locks
                    return job
                }

                let holder = job(first, locks: [LockAccess(lock, mode: .exclusive)], [step("hold", "sleep 30")])
                let holding = Task { try await runner.run(holder) }
                #expect(
                    await waitUntil {
                        guard let build = try? await findBuild(of: first, in: db) else { return false }
                        return (try? await db.steps.getSteps(buildid: build.id).first?.startedAt) != nil
                    })

                let stepWaits = job(second, locks: [], [step("after", "echo after", locks: [LockAccess(lock)])])
                let afterwards = Task { try await runner.run(stepWaits) }
                #expect(
                    await waitUntil {
                        guard let build = try? await findBuild(of: second, in: db) else { return false }
                        let steps = (try? await db.steps.getSteps(buildid: build.id)) ?? []
                        return steps.first?.stateString == "waiting for locks: db"
                    })

                let buildWaits = job(third, locks: [LockAccess(lock)], [step("never", "echo never")])
                let cancelled = Task { try await runner.run(buildWaits) }
                #expect(
                    await waitUntil {
                        (try? await findBuild(of: third, in: db))?.stateString == "waiting for locks: db"
                    })
                await buildWaits.control.stop(reason: "not needed")
                let (thirdID, thirdResults) = try await cancelled.value
                #expect(thirdResults == .cancelled)
                #expect(try await db.steps.getSteps(buildid: thirdID).isEmpty, "no step ran")

                // The waiting step has its lock only once the holder ends, ten seconds on.
                time.advance(by: 10)
                await holder.control.stop(reason: "done")
                #expect(try await holding.value.results == .cancelled)
                let (secondID, secondResults) = try await afterwards.value
                #expect(secondResults == .success)
                let steps = try await db.steps.getSteps(buildid: secondID)
                #expect(steps.map(\.results) == [.success])
                let waited = try #require(steps.first)
                #expect(waited.locksAcquiredAt == waited.startedAt.map { $0.addingTimeInterval(10) })
                #expect(try await db.builds.getBuild(secondID)?.locksDurationSeconds == 10)
                #expect(try await db.locks.getHolders().isEmpty, "every lock went with its build or step")
            }
        }
    }
}
