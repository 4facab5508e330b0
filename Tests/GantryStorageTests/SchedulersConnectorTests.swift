import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("SchedulersConnector and ChangeSourcesConnector", .paced)
struct SchedulersConnectorTests {
    @Test("findSchedulerId creates once and enable toggles", arguments: TestBackend.enabled)
    func findAndEnable(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.schedulers.findSchedulerId("nightly")
            #expect(try await db.schedulers.findSchedulerId("nightly") == id)
            #expect(try await db.schedulers.getScheduler(id) == SchedulerInfo(id: id, name: "nightly"))
            try await db.schedulers.enable(id, enabled: false)
            #expect(try await db.schedulers.getScheduler(id)?.enabled == false)
            try await db.schedulers.enable(id, enabled: true)
            #expect(try await db.schedulers.getScheduler(id)?.enabled == true)
        }
    }

    @Test("claims: fresh, mine again, another master's (even inactive) refused", arguments: TestBackend.enabled)
    func claims(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let m13 = try await db.masters.findMasterId("m13")
            let m14 = try await db.masters.findMasterId("m14")
            let sid = try await db.schedulers.findSchedulerId("s")
            let fence = try await db.schedulers.setSchedulerMaster(sid, masterid: m14)
            #expect(fence == ClaimFence(kind: .scheduler, serviceID: sid, masterID: m14, epoch: 1))
            #expect(try await db.schedulers.setSchedulerMaster(sid, masterid: m14) == fence)
            #expect(try await db.masters.getMaster(m14)?.active == false)
            let error = await #expect(throws: GantryError.self) {
                try await db.schedulers.setSchedulerMaster(sid, masterid: m13)
            }
            #expect(error?.code == .alreadyClaimed)
            #expect(try await db.schedulers.getScheduler(sid)?.masterID == m14)
        }
    }

    @Test("unclaim deletes only the caller's own current claim; epochs grow", arguments: TestBackend.enabled)
    func unclaim(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let a = try await db.masters.findMasterId("a")
            let b = try await db.masters.findMasterId("b")
            let sid = try await db.schedulers.findSchedulerId("s")
            let first = try await db.schedulers.setSchedulerMaster(sid, masterid: a)
            #expect(try await db.schedulers.unclaimScheduler(first))
            let second = try await db.schedulers.setSchedulerMaster(sid, masterid: b)
            #expect(second.epoch == first.epoch + 1)
            let stale = try await db.schedulers.unclaimScheduler(first)
            #expect(!stale)
            #expect(try await db.schedulers.getScheduler(sid)?.masterID == b)
            #expect(try await db.claims(.scheduler).isClaimCurrent(second))
            #expect(try await !db.claims(.scheduler).isClaimCurrent(first))
            let unowned = try await db.schedulers.findSchedulerId("unowned")
            let none = try await db.schedulers.unclaimScheduler(
                ClaimFence(kind: .scheduler, serviceID: unowned, masterID: a, epoch: 1))
            #expect(!none)
        }
    }

    @Test("getSchedulers filters as Buildbot", arguments: TestBackend.enabled)
    func filters(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let m13 = try await db.masters.findMasterId("m13")
            let m14 = try await db.masters.findMasterId("m14")
            let s1 = try await db.schedulers.findSchedulerId("s1")
            let s2 = try await db.schedulers.findSchedulerId("s2")
            let s3 = try await db.schedulers.findSchedulerId("s3")
            try await db.schedulers.setSchedulerMaster(s1, masterid: m13)
            try await db.schedulers.setSchedulerMaster(s2, masterid: m14)
            #expect(try await db.schedulers.getSchedulers().map(\.id) == [s1, s2, s3])
            #expect(try await db.schedulers.getSchedulers(masterid: m13).map(\.id) == [s1])
            #expect(try await db.schedulers.getSchedulers(active: true).map(\.id) == [s1, s2])
            #expect(try await db.schedulers.getSchedulers(active: false).map(\.id) == [s3])
            #expect(try await db.schedulers.getSchedulers(active: true, masterid: m14).map(\.id) == [s2])
            #expect(try await db.schedulers.getSchedulers(active: false, masterid: m13).isEmpty)
        }
    }

    @Test("change sources claim like schedulers, including re-claim by the owner", arguments: TestBackend.enabled)
    func changeSources(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let a = try await db.masters.findMasterId("a")
            let b = try await db.masters.findMasterId("b")
            let cs = try await db.changeSources.findChangeSourceId("poller")
            #expect(try await db.changeSources.findChangeSourceId("poller") == cs)
            let fence = try await db.changeSources.setChangeSourceMaster(cs, masterid: a)
            #expect(try await db.changeSources.setChangeSourceMaster(cs, masterid: a) == fence)
            await #expect(throws: GantryError.self) {
                try await db.changeSources.setChangeSourceMaster(cs, masterid: b)
            }
            #expect(try await db.changeSources.getChangeSources(active: true).map(\.masterID) == [a])
            #expect(try await db.changeSources.unclaimChangeSource(fence))
            #expect(try await db.changeSources.getChangeSource(cs) == ChangeSourceInfo(id: cs, name: "poller"))
        }
    }

    @Test(
        "pools claim like schedulers; the managing master of each claimed pool is listed",
        arguments: TestBackend.enabled)
    func pools(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let a = try await db.masters.findMasterId("a")
            let b = try await db.masters.findMasterId("b")
            let pool = try await db.claims(.pool).findServiceId("linux")
            #expect(try await db.claims(.pool).findServiceId("linux") == pool)
            _ = try await db.claims(.pool).findServiceId("idle")
            let fence = try await db.claims(.pool).claim(pool, masterid: a)
            #expect(try await db.claims(.pool).claim(pool, masterid: a) == fence)
            await #expect(throws: GantryError.self) { try await db.claims(.pool).claim(pool, masterid: b) }
            #expect(try await db.claims(.pool).getClaimingMasters() == ["linux": a])
            #expect(try await db.claims(.pool).isClaimCurrent(fence))
            #expect(try await db.claims(.pool).unclaim(fence))
            #expect(try await !db.claims(.pool).isClaimCurrent(fence))
            let next = try await db.claims(.pool).claim(pool, masterid: b)
            #expect(next.epoch > fence.epoch)
            #expect(try await !db.claims(.pool).unclaim(fence))
            #expect(try await db.claims(.pool).getClaimingMasters() == ["linux": b])
        }
    }

    @Test("concurrent claims by two masters: exactly one wins", arguments: TestBackend.enabled)
    func race(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let masters = [try await db.masters.findMasterId("a"), try await db.masters.findMasterId("b")]
            let sid = try await db.schedulers.findSchedulerId("s")
            let winners = try await withThrowingTaskGroup(of: Int?.self) { group in
                for round in 0..<10 {
                    let master = masters[round % 2]
                    group.addTask { try? await db.schedulers.setSchedulerMaster(sid, masterid: master).masterID }
                }
                return try await group.reduce(into: Set<Int>()) { if let id = $1 { $0.insert(id) } }
            }
            #expect(winners.count == 1)
        }
    }
}
