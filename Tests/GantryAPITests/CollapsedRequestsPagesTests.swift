import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("API and UI: collapsed build requests", .paced, .timeLimit(.minutes(3)))
struct CollapsedRequestsPagesTests {
    @Test("a request shows the request and build it was merged into; the build lists the requests it also built")
    func merged() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("linux")
            var ids: [Int] = []
            for _ in 0..<3 {
                let (_, requests) = try await db.buildsets.addBuildset(reason: "push", builderids: [builder])
                ids.append(try #require(requests[builder]))
            }
            let claim = try await db.buildRequests.claimBuildRequest(ids[0], masterid: master, collapsing: .always)
            #expect(claim.built.id == ids[2])
            let build = try await db.builds.addBuild(
                builderid: builder, buildrequestid: ids[2], workerid: nil, masterid: master)
            try await withAPIServer(db, masterID: master) { base in
                let one = try await httpGet(base, "/api/v2/buildrequests/\(ids[0])")
                #expect(one["buildrequests", 0, "collapsed_into"] == .number(Double(ids[2])))
                let built = try await httpGet(base, "/api/v2/buildrequests/\(ids[2])")
                #expect(built["buildrequests", 0, "collapsed_into"] == .null)
                let merged = try await httpGet(base, "/api/v2/buildrequests?collapsed_into=\(ids[2])")
                #expect(merged["meta", "total"] == .number(2))

                let list = try await httpGetText(base, "/buildrequests")
                #expect(list.status == 200)
                let link = #"merged into <a href="/builds/\#(build.id)">build #\#(build.number)</a>"#
                #expect(list.text.components(separatedBy: link).count == 3, "both merged requests say so")
                let page = try await httpGetText(base, "/builds/\(build.id)")
                #expect(page.status == 200)
                #expect(page.text.contains("<dt>Also built</dt><dd>requests #\(ids[0]), #\(ids[1]) "))
            }
        }
    }
}
