import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("Control requests: stopping builds, cancelling requests, controlling workers", .paced, .timeLimit(.minutes(3)))
struct ControlConnectorTests {
    let time = ManualWallClock()

    @Test(
        "a stop request reaches the running master's list; finished or missing builds are refused",
        arguments: TestBackend.enabled)
    func stop(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let other = try await db.masters.findMasterId("m2")
            let builder = try await db.builders.findBuilderId("b")
            let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            let brid = try #require(requests[builder])
            try await db.buildRequests.claimBuildRequests([brid], masterid: master)
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: brid, workerid: nil, masterid: master)
            #expect(try await db.builds.getStopRequests(masterid: master).isEmpty)
            try await db.builds.requestBuildStop(build.id, reason: "by ada")
            let stops = try await db.builds.getStopRequests(masterid: master)
            #expect(stops.map(\.buildRequestID) == [brid] && stops.map(\.reason) == ["by ada"])
            #expect(try await db.builds.getStopRequests(masterid: other).isEmpty)
            try await db.builds.finishBuild(build.id, results: .cancelled)
            #expect(try await db.builds.getStopRequests(masterid: master).isEmpty)
            let finished = await #expect(throws: GantryError.self) {
                try await db.builds.requestBuildStop(build.id, reason: "")
            }
            #expect(finished?.code == .conflict)
            let missing = await #expect(throws: GantryError.self) {
                try await db.builds.requestBuildStop(999, reason: "")
            }
            #expect(missing?.code == .notFound)
        }
    }

    @Test(
        "cancel: a waiting request ends CANCELLED with its buildset; a building one is stopped; the rest refused",
        arguments: TestBackend.enabled)
    func cancel(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("b")
            let (waitingSet, waiting) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            let (_, building) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            let (_, starting) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
            let (waitingID, buildingID, startingID) = (
                try #require(waiting[builder]), try #require(building[builder]), try #require(starting[builder])
            )
            #expect(
                try await db.buildRequests.cancelBuildRequest(waitingID, reason: "no", masterid: master) == .cancelled)
            let cancelled = try #require(try await db.buildRequests.getBuildRequest(waitingID))
            #expect(cancelled.complete && cancelled.results == .cancelled)
            #expect(try await db.buildsets.getBuildset(waitingSet)?.results == .cancelled)
            let again = await #expect(throws: GantryError.self) {
                try await db.buildRequests.cancelBuildRequest(waitingID, reason: "", masterid: master)
            }
            #expect(again?.code == .conflict)

            try await db.buildRequests.claimBuildRequests([buildingID, startingID], masterid: master)
            _ = try await db.builds.addBuild(
                builderid: builder, buildrequestid: buildingID, workerid: nil, masterid: master)
            #expect(
                try await db.buildRequests.cancelBuildRequest(buildingID, reason: "later", masterid: master)
                    == .stopping)
            #expect(try await db.builds.getStopRequests(masterid: master).map(\.reason) == ["later"])
            let notYet = await #expect(throws: GantryError.self) {
                try await db.buildRequests.cancelBuildRequest(startingID, reason: "", masterid: master)
            }
            #expect(notYet?.code == .conflict)
            let missing = await #expect(throws: GantryError.self) {
                try await db.buildRequests.cancelBuildRequest(999, reason: "", masterid: master)
            }
            #expect(missing?.code == .notFound)
        }
    }

    @Test(
        "worker controls: only connected workers are listed; reconnecting ends graceful and kill, never pause",
        arguments: TestBackend.enabled)
    func workers(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            let one = try await db.workers.findWorkerId("wk1")
            let two = try await db.workers.findWorkerId("wk2")
            try await db.workers.workerConnected(one, masterid: master, workerInfo: [:])
            try await db.workers.setWorkerPaused(one, paused: true, pauseReason: "disk full")
            try await db.workers.setWorkerGraceful(one, graceful: true)
            try await db.workers.setWorkerKillRequested(one, true)
            try await db.workers.setWorkerPaused(two, paused: true)
            #expect(
                try await db.workers.getWorkerControls(masterid: master)
                    == ["wk1": WorkerControl(paused: true, graceful: true, killRequested: true)])
            try await db.workers.workerDisconnected(one, masterid: master)
            try await db.workers.workerConnected(one, masterid: master, workerInfo: [:])
            let controls = try await db.workers.getWorkerControls(masterid: master)
            #expect(controls == ["wk1": WorkerControl(paused: true)] && controls["wk1"]?.acceptsBuilds == false)
            #expect(try await db.workers.getWorker(one)?.pauseReason == "disk full")
        }
    }
}
