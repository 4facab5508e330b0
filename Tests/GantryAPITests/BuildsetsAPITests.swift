import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: buildsets and build requests", .paced, .timeLimit(.minutes(3)))
struct BuildsetsAPITests {
    @Test("buildsets with their source stamps, and build requests with their claims", arguments: TestBackend.enabled)
    func buildsetsAndRequests(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            let linux = try await db.builders.findBuilderId("linux")
            let mac = try await db.builders.findBuilderId("mac")
            let stamp = try await db.sourceStamps.findSourceStampId(SourceStampFields(revision: "abc", codebase: "cb"))
            let (first, requests) = try await db.buildsets.addBuildset(
                reason: "nightly", builderids: [linux, mac], sourceStampIDs: [stamp], properties: ["p": [1, "test"]],
                priority: 5)
            let (second, _) = try await db.buildsets.addBuildset(reason: "forced", builderids: [linux])
            let linuxRequest = try #require(requests[linux])
            try await db.buildRequests.claimBuildRequests([linuxRequest], masterid: master)
            try await withAPIServer(db) { base in
                let all = try await httpGet(base, "/api/v2/buildsets?order=-bsid")
                #expect(all["meta", "total"] == .number(2))
                #expect(all["buildsets", 0, "bsid"] == .number(Double(second)))
                let one = try await httpGet(base, "/api/v2/buildsets/\(first)")
                #expect(one["buildsets", 0, "reason"] == .string("nightly"))
                #expect(one["buildsets", 0, "sourcestamps", 0, "revision"] == .string("abc"))
                #expect(one["buildsets", 0, "properties"] == .object(["p": [1, "test"]]))
                #expect(one["buildsets", 0, "complete"] == .bool(false))
                #expect(
                    try await httpGet(base, "/api/v2/buildsets?reason__contains=forc")["meta", "total"] == .number(1))

                let claimed = try await httpGet(base, "/api/v2/buildrequests?claimed=true")
                #expect(claimed["meta", "total"] == .number(1))
                #expect(claimed["buildrequests", 0, "buildrequestid"] == .number(Double(linuxRequest)))
                #expect(claimed["buildrequests", 0, "claimed_by_masterid"] == .number(Double(master)))
                let waiting = try await httpGet(base, "/api/v2/buildrequests?claimed=false&builderid=\(linux)")
                #expect(waiting["meta", "total"] == .number(1))
                let byPriority = try await httpGet(base, "/api/v2/buildrequests?order=-priority&field=priority&limit=1")
                #expect(byPriority["buildrequests"] == .array([.object(["priority": 5])]))
                #expect(
                    try await httpGet(base, "/api/v2/buildrequests/\(linuxRequest)")["buildrequests", 0, "claimed"]
                        == .bool(true))
                #expect(try await httpGet(base, "/api/v2/buildrequests/999").status == 404)
                #expect(try await httpGet(base, "/api/v2/buildrequests?claimed=perhaps").status == 400)
            }
        }
    }
}
