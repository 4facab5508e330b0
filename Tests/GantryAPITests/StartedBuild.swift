import GantryStorage
import Testing

/// A build of builder `linux` just started by master `m1` for a request of its own: the build most API tests read
/// back.
func startedBuild(_ db: Database) async throws -> (id: Int, number: Int) {
    let master = try await db.masters.findMasterId("m1")
    let linux = try await db.builders.findBuilderId("linux")
    let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [linux])
    return try await db.builds.addBuild(
        builderid: linux, buildrequestid: try #require(requests[linux]), workerid: nil, masterid: master)
}
