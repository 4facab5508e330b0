import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Master expiry and housekeeping", .paced)
struct ExpiryTests {
    let time = ManualWallClock()

    /// A master holding one of everything a master can hold.
    private func loaded(_ db: Database, _ name: String) async throws -> Int {
        let master = try await db.masters.findMasterId(name)
        try await db.masters.masterActive(master)
        let scheduler = try await db.schedulers.findSchedulerId("sched-\(name)")
        try await db.schedulers.setSchedulerMaster(scheduler, masterid: master)
        let source = try await db.changeSources.findChangeSourceId("cs-\(name)")
        try await db.changeSources.setChangeSourceMaster(source, masterid: master)
        try await db.claims(.pool).claim(try await db.claims(.pool).findServiceId("pool-\(name)"), masterid: master)
        let builder = try await db.builders.findBuilderId("b-\(name)")
        try await db.builders.updateBuilderList(master, builderids: [builder])
        let worker = try await db.workers.findWorkerId("w-\(name)")
        try await db.workers.workerConfigured(worker, masterid: master, builderids: [builder])
        try await db.workers.workerConnected(worker, masterid: master, workerInfo: [:])
        let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
        try await db.execute(
            "INSERT INTO buildrequest_claims (brid, masterid, claimed_at) VALUES (\(requests[builder]!), \(master), 0)"
        )
        return master
    }

    private func holdings(_ db: Database, _ master: Int) async throws -> [Int] {
        var counts: [Int] = []
        for table in [
            "scheduler_masters", "changesource_masters", "pool_masters", "builder_masters", "connected_workers",
            "buildrequest_claims",
        ] {
            counts.append(try await db.count(table, where: "masterid = \(master)"))
        }
        return counts
    }

    @Test("a stale peer loses every link and claim and is reported once", arguments: TestBackend.enabled)
    func stalePeer(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let dead = try await loaded(db, "dead")
            time.advance(by: 60)
            let live = try await loaded(db, "live")
            #expect(try await holdings(db, dead) == [1, 1, 1, 1, 1, 1])

            let expired = try await db.masters.expireMasters(
                staleBefore: time.now.addingTimeInterval(-30), except: live)
            #expect(expired.map(\.id) == [dead])
            #expect(try await holdings(db, dead) == [0, 0, 0, 0, 0, 0])
            #expect(try await db.count("configured_workers") == 1)
            #expect(try await holdings(db, live) == [1, 1, 1, 1, 1, 1])
            #expect(
                try await db.buildRequests.getBuildRequests(complete: false).filter { $0.claimedByMasterID == nil }
                    .count
                    == 1)

            let again = try await db.masters.expireMasters(staleBefore: time.now.addingTimeInterval(-30), except: live)
            #expect(again.isEmpty)
        }
    }

    @Test(
        "a live master is never expired, by a peer or by itself through the exception", arguments: TestBackend.enabled)
    func liveMaster(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let a = try await loaded(db, "a")
            let b = try await loaded(db, "b")
            time.advance(by: 10)
            try await db.masters.masterActive(a)
            let expired = try await db.masters.expireMasters(staleBefore: time.now.addingTimeInterval(-5), except: b)
            #expect(expired.isEmpty)
            #expect(try await holdings(db, a) == [1, 1, 1, 1, 1, 1])
            let none = try await db.masters.expireMasters(staleBefore: time.now.addingTimeInterval(60), except: b)
            #expect(none.map(\.id) == [a])
            #expect(try await db.masters.getMaster(b)?.active == true)
        }
    }

    @Test(
        "an already inactive master is not reported again, but what it still holds is released",
        arguments: TestBackend.enabled
    )
    func alreadyInactive(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let dead = try await loaded(db, "dead")
            try await db.execute("UPDATE masters SET active = FALSE WHERE id = \(dead)")
            time.advance(by: 60)
            let plain = try await db.masters.expireMasters(staleBefore: time.now, except: nil)
            #expect(plain.isEmpty)
            #expect(try await holdings(db, dead) == [0, 0, 0, 0, 0, 0])
            let forced = try await db.masters.expireMasters(staleBefore: time.now, except: nil, forceHouseKeeping: true)
            #expect(forced.isEmpty)
        }
    }

    @Test("a restarted master cleans its own stale rows with masterStopped", arguments: TestBackend.enabled)
    func restart(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await loaded(db, "m")
            #expect(try await db.masters.findMasterId("m") == master)
            let announced = try await db.masters.masterStopped(master)
            #expect(announced)
            #expect(try await holdings(db, master) == [0, 0, 0, 0, 0, 0])
            let again = try await db.masters.masterStopped(master)
            #expect(!again)
        }
    }

    @Test("completed requests keep their claims as history", arguments: TestBackend.enabled)
    func completedClaimsKept(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await loaded(db, "m")
            try await db.execute("UPDATE buildrequests SET complete = TRUE")
            try await db.masters.masterStopped(master)
            #expect(try await db.count("buildrequest_claims") == 1)
        }
    }
}

@Suite("Master expiry of a master that died while starting", .paced)
struct StartupDeathExpiryTests {
    @Test("an inactive master that still holds claims is cleaned by a peer's expiry", arguments: TestBackend.enabled)
    func diedWhileStarting(_ backend: TestBackend) async throws {
        let time = ManualWallClock()
        try await withTestDatabase(backend, clock: time.clock) { db in
            let starting = try await db.masters.findMasterId("starting")
            let sid = try await db.schedulers.findSchedulerId("s")
            try await db.schedulers.setSchedulerMaster(sid, masterid: starting)
            let peer = try await db.masters.findMasterId("peer")
            time.advance(by: 60)
            try await db.masters.masterActive(peer)
            let expired = try await db.masters.expireMasters(
                staleBefore: time.now.addingTimeInterval(-30), except: peer)
            #expect(expired.isEmpty)
            #expect(try await db.count("scheduler_masters") == 0)
        }
    }
}
