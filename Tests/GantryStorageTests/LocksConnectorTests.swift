import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

/// Cluster-wide locks: slots held in the database, taken all or nothing, never granted beyond their count, even
/// to two masters racing for them.
@Suite("Locks", .paced, .timeLimit(.minutes(3)))
struct LocksConnectorTests {
    let time = ManualWallClock()
    private let db2 = LockConfig(name: "db", maxCount: 2)
    private let cpu = LockConfig(name: "cpu", kind: .worker, maxCount: 1)

    private func counting(_ lock: LockConfig, on worker: String = "wk1") -> LockRequest {
        LockAccess(lock).request(onWorker: worker)
    }

    private func exclusive(_ lock: LockConfig, on worker: String = "wk1") -> LockRequest {
        LockAccess(lock, mode: .exclusive).request(onWorker: worker)
    }

    /// `count` running builds of builder `b` under master `name`.
    private func builds(_ db: Database, _ count: Int, master name: String = "m1") async throws -> (
        master: Int, builds: [Int]
    ) {
        let master = try await db.masters.findMasterId(name)
        let builder = try await db.builders.findBuilderId("b")
        var ids: [Int] = []
        for _ in 0..<count {
            let (_, requests) = try await db.buildsets.addBuildset(reason: "test", builderids: [builder])
            let request = try #require(requests[builder])
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: request, workerid: nil, masterid: master)
            ids.append(build.id)
        }
        return (master, ids)
    }

    @Test(
        "counting holders up to maxCount; exclusive only alone; an ended build's locks are free",
        arguments: TestBackend.enabled)
    func countingAndExclusive(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let (master, ids) = try await builds(db, 4)
            func take(_ request: LockRequest, _ build: Int) async throws -> LocksConnector.Acquisition {
                try await db.locks.acquire([request], buildid: build, masterid: master)
            }
            #expect(try await take(counting(db2), ids[0]) == .acquired)
            #expect(try await take(counting(db2), ids[1]) == .acquired)
            #expect(try await take(counting(db2), ids[2]) == .waiting([counting(db2)]))
            #expect(try await take(exclusive(db2), ids[2]) == .waiting([exclusive(db2)]))
            #expect(try await db.locks.getHolders().map(\.buildID) == [ids[0], ids[1]])

            try await db.builds.finishBuild(ids[0], results: .success)
            #expect(try await take(exclusive(db2), ids[2]) == .waiting([exclusive(db2)]), "one holder is left")
            try await db.builds.finishBuild(ids[1], results: .success)
            #expect(try await take(exclusive(db2), ids[2]) == .acquired)
            #expect(try await db.count("lock_claims", where: "buildid = \(ids[2])") == 2, "every slot")
            #expect(try await take(counting(db2), ids[3]) == .waiting([counting(db2)]))
            let holders = try await db.locks.getHolders()
            #expect(holders.count == 1 && holders[0].exclusive && holders[0].masterID == master)

            let error = await #expect(throws: GantryError.self) { try await take(counting(db2), ids[0]) }
            #expect(error?.code == .conflict, "an ended build takes no locks")
        }
    }

    @Test("several locks are taken all or nothing; a worker lock has a copy per worker", arguments: TestBackend.enabled)
    func allOrNothing(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let (master, ids) = try await builds(db, 3)
            #expect(try await db.locks.acquire([counting(cpu)], buildid: ids[0], masterid: master) == .acquired)
            let both = [counting(db2), counting(cpu)]
            #expect(try await db.locks.acquire(both, buildid: ids[1], masterid: master) == .waiting([counting(cpu)]))
            #expect(try await db.count("lock_claims", where: "buildid = \(ids[1])") == 0, "db was not taken alone")
            let elsewhere = [counting(db2), counting(cpu, on: "wk2")]
            #expect(try await db.locks.acquire(elsewhere, buildid: ids[2], masterid: master) == .acquired)
            #expect(
                Set(try await db.locks.getHolders().map(\.instance)) == [
                    LockInstance(name: "cpu", scope: "wk1"), LockInstance(name: "cpu", scope: "wk2"),
                    LockInstance(name: "db", scope: ""),
                ])
        }
    }

    @Test(
        "a step's locks: taken with locks_acquired_at (a step without locks has it from its start), the wait added to the build, released at the step's end",
        arguments: TestBackend.enabled)
    func stepLocks(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let (master, ids) = try await builds(db, 2)
            let step = try await db.steps.addStep(buildid: ids[1], name: "compile")
            let plain = try await db.steps.addStep(buildid: ids[1], name: "test")
            #expect(try await db.locks.acquire([exclusive(db2)], buildid: ids[0], masterid: master) == .acquired)
            let waitingSince = time.now
            #expect(
                try await db.locks.acquire([counting(db2)], buildid: ids[1], stepid: step.id, masterid: master)
                    == .waiting([counting(db2)]))
            time.advance(by: 7)
            try await db.builds.finishBuild(ids[0], results: .success)
            #expect(
                try await db.locks.acquire(
                    [counting(db2)], buildid: ids[1], stepid: step.id, masterid: master, waitingSince: waitingSince)
                    == .acquired)
            try await db.steps.startStep(plain.id)

            let build = try #require(try await db.builds.getBuild(ids[1]))
            #expect(build.locksDurationSeconds == 7 && build.resource["locks_duration_s"] == .number(7))
            let steps = try await db.steps.getSteps(buildid: ids[1])
            #expect(steps.map(\.locksAcquiredAt) == [time.now, time.now])
            #expect(steps[0].resource["locks_acquired_at"] == .number(time.now.timeIntervalSince1970))
            #expect(try await db.locks.getHolders().map(\.stepID) == [step.id])

            try await db.locks.release(stepid: step.id, buildid: ids[1])
            #expect(try await db.locks.getHolders().isEmpty)
        }
    }

    @Test(
        "a later waiter of this master does not pass the reservations of earlier ones", arguments: TestBackend.enabled)
    func reservations(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let (master, ids) = try await builds(db, 2)
            var ahead: [LockInstance: LockSlots.Reservation] = [:]
            LockSlots.reserve([exclusive(db2)], in: &ahead)
            #expect(
                try await db.locks.acquire([counting(db2)], buildid: ids[0], masterid: master, reserved: ahead)
                    == .waiting([counting(db2)]))
            #expect(try await db.locks.acquire([exclusive(db2)], buildid: ids[1], masterid: master) == .acquired)
        }
    }

    @Test("two masters racing for one lock never hold more than its count", arguments: TestBackend.enabled)
    func twoMasters(_ backend: TestBackend) async throws {
        try await withSharedTestDatabase(backend) { first, second in
            let lock = LockConfig(name: "shared", maxCount: 3)
            let (one, firstBuilds) = try await builds(first, 24, master: "one")
            let (two, secondBuilds) = try await builds(second, 24, master: "two")
            for round in 0..<3 {
                let range = (round * 8)..<((round + 1) * 8)
                // Every fourth build of each master asks for the lock alone.
                let outcomes = try await withThrowingTaskGroup(of: (build: Int, granted: Bool).self) { group in
                    for (db, master, ids) in [(first, one, firstBuilds), (second, two, secondBuilds)] {
                        for index in range {
                            let access = LockAccess(lock, mode: index % 4 == 0 ? .exclusive : .counting)
                            group.addTask {
                                let outcome = try await db.locks.acquire(
                                    [access.request(onWorker: "wk")], buildid: ids[index], masterid: master)
                                return (ids[index], outcome == .acquired)
                            }
                        }
                    }
                    return try await group.reduce(into: [(build: Int, granted: Bool)]()) { $0.append($1) }
                }
                let holders = try await first.locks.getHolders()
                let granted = Set(outcomes.filter(\.granted).map(\.build))
                #expect(Set(holders.map(\.buildID)) == granted, "every grant is held, and nothing else")
                #expect(!granted.isEmpty)
                if holders.contains(where: \.exclusive) {
                    #expect(holders.count == 1, "an exclusive holder has the lock alone")
                    #expect(try await first.count("lock_claims") == 3)
                } else {
                    #expect(holders.count <= 3)
                }
                for build in granted { try await first.builds.finishBuild(build, results: .success) }
                #expect(try await second.count("lock_claims") == 0)
            }
        }
    }

    @Test("a dead master's locks are released by its expiry; a live master's stay", arguments: TestBackend.enabled)
    func expiry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let (dead, deadBuilds) = try await builds(db, 1, master: "dead")
            _ = try await db.masters.masterActive(dead)
            #expect(try await db.locks.acquire([counting(db2)], buildid: deadBuilds[0], masterid: dead) == .acquired)
            time.advance(by: 60)
            let (live, liveBuilds) = try await builds(db, 1, master: "live")
            _ = try await db.masters.masterActive(live)
            #expect(try await db.locks.acquire([counting(cpu)], buildid: liveBuilds[0], masterid: live) == .acquired)

            let expired = try await db.masters.expireMasters(
                staleBefore: time.now.addingTimeInterval(-30), except: live)
            #expect(expired.map(\.id) == [dead])
            #expect(try await db.locks.getHolders().map(\.buildID) == [liveBuilds[0]])
            let error = await #expect(throws: GantryError.self) {
                try await db.locks.acquire([counting(db2)], buildid: deadBuilds[0], masterid: dead)
            }
            #expect(error?.code == .conflict, "its build ended RETRY and takes no locks")
        }
    }
}
