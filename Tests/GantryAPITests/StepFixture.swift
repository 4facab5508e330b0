import GantryStorage
import Testing

/// A running step of a build of builder `linux`, for tests that need logs.
func addStep(to db: Database) async throws -> Int {
    let master = try await db.masters.findMasterId("m1")
    let builder = try await db.builders.findBuilderId("linux")
    let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [builder])
    let build = try await db.builds.addBuild(
        builderid: builder, buildrequestid: try #require(requests[builder]), workerid: nil, masterid: master)
    return try await db.steps.addStep(buildid: build.id, name: "compile").id
}
