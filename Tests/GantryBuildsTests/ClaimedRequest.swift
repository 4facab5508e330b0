import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWorkers
import Testing

/// One request on builder `b1` (with `sourceStamps` and `properties`), claimed by master `m1`.
func claimedRequest(
    in db: Database, sourceStamps: [SourceStampFields] = [], properties: [String: JSONValue] = [:]
) async throws -> (master: Int, worker: Int, request: BuildRequest) {
    let master = try await db.masters.findMasterId("m1")
    let worker = try await db.workers.findWorkerId("wk1")
    let builder = try await db.builders.findBuilderId("b1")
    var stampIDs: [Int] = []
    for stamp in sourceStamps { stampIDs.append(try await db.sourceStamps.findSourceStampId(stamp)) }
    let (_, requests) = try await db.buildsets.addBuildset(
        reason: "test", builderids: [builder], sourceStampIDs: stampIDs, properties: properties)
    let id = try #require(requests[builder])
    try await db.buildRequests.claimBuildRequests([id], masterid: master)
    return (master, worker, try #require(try await db.buildRequests.getBuildRequest(id)))
}

/// Master `m1`'s runner, and the assignment of a request claimed in `db` (see ``claimedRequest(in:sourceStamps:properties:)``)
/// to run `steps` on `link`.
func claimedAssignment(
    in db: Database, link: WorkerLink, info: WorkerInfo = WorkerInfo(["basedir": "/w"]), steps: [Step]
) async throws -> (runner: BuildRunner, job: BuildRunner.Assignment) {
    let (master, workerID, request) = try await claimedRequest(in: db)
    let runner = BuildRunner(database: db, masterID: master, logger: silentLogger)
    return (
        runner,
        BuildRunner.Assignment(
            request: request, builderName: "b1", workerID: workerID, link: link, info: info, steps: steps)
    )
}
