import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("BuildsetsConnector", .paced)
struct BuildsetsConnectorTests {
    @Test(
        "a buildset gets one request per builder, its properties, and its state in one transaction",
        arguments: TestBackend.enabled)
    func add(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m")
            let sid = try await db.schedulers.findSchedulerId("s")
            let fence = try await db.schedulers.setSchedulerMaster(sid, masterid: master)
            let b1 = try await db.builders.findBuilderId("b1")
            let b2 = try await db.builders.findBuilderId("b2")
            let object = try await db.state.getObjectId("s", className: "Periodic")
            let (bsid, requests) = try await db.buildsets.addBuildset(
                fence: fence,
                reason: "because",
                builderids: [b1, b2],
                properties: ["scheduler": ["s", "Scheduler"]],
                state: [.init(objectID: object, key: "last_build", value: 42)]
            )
            #expect(Set(requests.keys) == [b1, b2])
            let buildsets = try await db.buildsets.getBuildsets(schedulerid: sid)
            #expect(buildsets.map(\.id) == [bsid])
            #expect(buildsets.first?.properties == ["scheduler": ["s", "Scheduler"]])
            #expect(buildsets.first?.complete == false)
            #expect(
                try await db.buildRequests.getBuildRequests(buildsetid: bsid).map(\.builderID).sorted()
                    == [b1, b2].sorted())
            #expect(try await db.state.getState(object, "last_build") == 42)
        }
    }

    @Test("a buildset with no builders is complete at once", arguments: TestBackend.enabled)
    func empty(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (bsid, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [])
            #expect(requests.isEmpty)
            #expect(try await db.buildsets.getBuildsets().first { $0.id == bsid }?.complete == true)
        }
    }

    @Test("a deposed scheduler's buildset and state are refused together", arguments: TestBackend.enabled)
    func fenced(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let a = try await db.masters.findMasterId("a")
            let b = try await db.masters.findMasterId("b")
            let sid = try await db.schedulers.findSchedulerId("s")
            let builder = try await db.builders.findBuilderId("b")
            let object = try await db.state.getObjectId("s", className: "Periodic")
            let old = try await db.schedulers.setSchedulerMaster(sid, masterid: a)
            try await db.masters.masterStopped(a)
            try await db.schedulers.setSchedulerMaster(sid, masterid: b)
            let error = await #expect(throws: GantryError.self) {
                try await db.buildsets.addBuildset(
                    fence: old,
                    reason: "late",
                    builderids: [builder],
                    state: [.init(objectID: object, key: "last_build", value: 1)]
                )
            }
            #expect(error?.code == .fenced)
            #expect(try await db.count("buildsets") == 0)
            #expect(try await db.count("object_state") == 0)
        }
    }

    @Test(
        "a state write that expects a version another writer replaced refuses the whole buildset",
        arguments: TestBackend.enabled)
    func compareAndSet(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let builder = try await db.builders.findBuilderId("b")
            let object = try await db.state.getObjectId("s", className: "NightlyTriggerable")
            let read = try await db.state.setState(object, "lastTrigger", "first")
            try await db.state.setState(object, "lastTrigger", "second")
            let error = await #expect(throws: GantryError.self) {
                try await db.buildsets.addBuildset(
                    reason: "stale",
                    builderids: [builder],
                    state: [
                        .init(objectID: object, key: "last_build", value: 1),
                        .init(objectID: object, key: "lastTrigger", value: nil, expectedVersion: read),
                    ]
                )
            }
            #expect(error?.code == .conflict)
            #expect(try await db.count("buildsets") == 0)
            #expect(try await db.state.getState(object, "lastTrigger") == "second")
            #expect(try await db.state.getState(object, "last_build", default: nil) == nil)
        }
    }

    @Test(
        "a builder's queue is read only at the head of each origin, by priority then age",
        arguments: TestBackend.enabled)
    func queueHeads(_ backend: TestBackend) async throws {
        let time = ManualWallClock()
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m")
            let sid = try await db.schedulers.findSchedulerId("nightly")
            let fence = try await db.schedulers.setSchedulerMaster(sid, masterid: master)
            let builder = try await db.builders.findBuilderId("b")
            let idle = try await db.builders.findBuilderId("idle")
            let app = try await db.sourceStamps.findSourceStampId(SourceStampFields(codebase: "a", project: "app"))
            let lib = try await db.sourceStamps.findSourceStampId(SourceStampFields(codebase: "b", project: "lib"))
            var forced: [Int] = []
            for _ in 0..<4 {
                time.advance(by: 1)
                let (_, ids) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder, idle])
                forced.append(ids[builder] ?? 0)
            }
            var scheduled: [Int] = []
            for _ in 0..<3 {
                time.advance(by: 1)
                let (_, ids) = try await db.buildsets.addBuildset(
                    fence: fence, reason: "r", builderids: [builder], sourceStampIDs: [lib, app])
                scheduled.append(ids[builder] ?? 0)
            }
            let (_, urgent) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder], priority: 5)
            try await db.buildRequests.claimBuildRequests([forced[0]], masterid: master)

            let heads = try await db.buildRequests.getQueueHeads([builder: 2, idle: 0])
            let read = Set(heads.requests.map(\.id))
            let urgentID = urgent[builder] ?? 0
            let expected: Set<Int> = [urgentID, forced[1], scheduled[0], scheduled[1]]
            #expect(
                read == expected,
                "two of each origin, the claimed one passed over, the builder that can start none not read")
            let forcedKey = BuildsetOrigin(schedulerID: nil, project: "").queueKey
            let scheduledKey = BuildsetOrigin(schedulerID: sid, project: "app").queueKey
            #expect(heads.origins[forced[1]] == forcedKey && heads.origins[urgentID] == forcedKey)
            #expect(heads.origins[scheduled[0]] == scheduledKey, "the project of the first source stamp")
            #expect(try await db.buildRequests.getQueueHeads([:]).requests.isEmpty)
            let deep = try await db.buildRequests.getQueueHeads([builder: 100, idle: 1])
            #expect(deep.requests.count == 8, "all 7 waiting on the builder, 1 of the other")
        }
    }

    @Test("no buildset ids, and a filter matching no buildset, read nothing", arguments: TestBackend.enabled)
    func emptyLists(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let (bsid, _) = try await db.buildsets.addBuildset(reason: "r", builderids: [])
            let none = try ResultSpec<BuildsetField>(filters: [.equal(.bsid, .int(bsid + 1))])
            let page = try await db.buildsets.getBuildsets(none)
            #expect(page.items.isEmpty && page.total == 0)
        }
    }
}
