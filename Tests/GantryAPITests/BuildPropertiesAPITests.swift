import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: properties of builds, build requests and buildsets", .paced, .timeLimit(.minutes(3)))
struct BuildPropertiesAPITests {
    @Test(
        "property=NAME and property=* add the asked properties; /properties answers Buildbot's shape",
        arguments: TestBackend.enabled)
    func properties(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            let linux = try await db.builders.findBuilderId("linux")
            let (bsid, requests) = try await db.buildsets.addBuildset(
                reason: "r", builderids: [linux], properties: ["owner": ["ada", "Force"], "jobs": [4, "Force"]])
            let request = try #require(requests[linux])
            let first = try await db.builds.addBuild(
                builderid: linux, buildrequestid: request, workerid: nil, masterid: master)
            try await db.builds.setBuildProperties(
                first.id, ["branch": ["main", "Build"], "owner": ["ada", "Force"]])
            let second = try await db.builds.addBuild(
                builderid: linux, buildrequestid: request, workerid: nil, masterid: master)
            try await withAPIServer(db) { base in
                let plain = try await httpGet(base, "/api/v2/builds")
                #expect(plain["builds", 0, "properties"] == .object([:]), "empty until asked for, as in Buildbot")

                let branch = try await httpGet(base, "/api/v2/builds?property=branch&order=buildid")
                #expect(branch["builds", 0, "properties"] == ["branch": ["main", "Build"]])
                #expect(branch["builds", 1, "properties"] == .object([:]))
                let all = try await httpGet(base, "/api/v2/builds/\(first.id)?property=*")
                #expect(all["builds", 0, "properties"] == ["branch": ["main", "Build"], "owner": ["ada", "Force"]])
                let two = try await httpGet(
                    base, "/api/v2/builders/\(linux)/builds?property=owner&property=nothing&buildid=\(first.id)")
                #expect(two["builds", 0, "properties"] == ["owner": ["ada", "Force"]])
                let only = try await httpGet(base, "/api/v2/builds?property=branch&field=properties&limit=1")
                #expect(only["builds"] == [["properties": ["branch": ["main", "Build"]]]])

                let own = try await httpGet(base, "/api/v2/builds/\(first.id)/properties")
                #expect(own["properties"] == [["branch": ["main", "Build"], "owner": ["ada", "Force"]]])
                #expect(try await httpGet(base, "/api/v2/builds/\(second.id)/properties")["properties"] == [[:]])

                let requested = try await httpGet(base, "/api/v2/buildrequests?property=owner")
                #expect(requested["buildrequests", 0, "properties"] == ["owner": ["ada", "Force"]])
                let bare = try await httpGet(base, "/api/v2/buildrequests")
                #expect(bare["buildrequests", 0, "properties"] == JSONValue.null, "null until asked for, like Buildbot")
                let one = try await httpGet(base, "/api/v2/buildrequests/\(request)?property=*")
                #expect(one["buildrequests", 0, "properties"] == ["owner": ["ada", "Force"], "jobs": [4, "Force"]])

                let narrowed = try await httpGet(base, "/api/v2/buildsets/\(bsid)?property=jobs")
                #expect(narrowed["buildsets", 0, "properties"] == ["jobs": [4, "Force"]])
                let whole = try await httpGet(base, "/api/v2/buildsets")
                #expect(whole["buildsets", 0, "properties"] == ["owner": ["ada", "Force"], "jobs": [4, "Force"]])
                let set = try await httpGet(base, "/api/v2/buildsets/\(bsid)/properties")
                #expect(set["properties"] == [["owner": ["ada", "Force"], "jobs": [4, "Force"]]])
            }
        }
    }

    @Test("properties of unknown parents are 404; property is refused where it means nothing, or empty, or too many")
    func refusals() async throws {
        try await withTestDatabase(.sqlite) { db in
            let build = try await startedBuild(db)
            try await withAPIServer(db) { (base: URL) async throws in
                #expect(try await httpGet(base, "/api/v2/builds/999/properties").status == 404)
                #expect(try await httpGet(base, "/api/v2/buildsets/999/properties").status == 404)
                #expect(try await httpGet(base, "/api/v2/builds/\(build.id)/properties?limit=1").status == 400)
                #expect(try await httpGet(base, "/api/v2/workers?property=x").status == 400)
                #expect(try await httpGet(base, "/api/v2/builds/\(build.id)/steps?property=x").status == 400)
                #expect(try await httpGet(base, "/api/v2/builds?property=").status == 400)
                let many = (0...PropertySelection.mostNames).map { "property=p\($0)" }.joined(separator: "&")
                #expect(try await httpGet(base, "/api/v2/builds?\(many)").status == 400)
                let enough = (1...PropertySelection.mostNames).map { "property=p\($0)" }.joined(separator: "&")
                #expect(try await httpGet(base, "/api/v2/builds?\(enough)").status == 200)
            }
        }
    }
}
