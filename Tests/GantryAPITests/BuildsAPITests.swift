import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("HTTP API: builders, builds, steps and logs", .paced, .timeLimit(.minutes(3)))
struct BuildsAPITests {
    @Test("a log's contents come at most 8 MiB at a time, in whole lines; asking from the next line gives the rest")
    func contentsInParts() async throws {
        try await withTestDatabase(.sqlite) { db in
            let build = try await startedBuild(db)
            let step = try await db.steps.addStep(buildid: build.id, name: "compile")
            let log = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
            // 9,216 lines of 1 KiB: 9 MiB.
            for part in 0..<9 {
                let lines = (0..<1024).map { "o\(part)-\($0) " + String(repeating: "x", count: 1014) + "\n" }
                try await db.logs.appendLog(log, lines.joined())
            }
            try await withAPIServer(db) { base in
                let first = try await httpGet(base, "/api/v2/logs/\(log)/contents")
                guard case .string(let head)? = first["logchunks", 0, "content"] else {
                    Issue.record("no content: \(first)")
                    return
                }
                #expect(head.utf8.count <= 8 << 20 && head.utf8.count > (8 << 20) - 2048 && head.hasSuffix("\n"))
                let got = head.utf8.filter { $0 == UInt8(ascii: "\n") }.count
                let rest = try await httpGet(base, "/api/v2/logs/\(log)/contents?offset=\(got)")
                guard case .string(let tail)? = rest["logchunks", 0, "content"] else {
                    Issue.record("no content: \(rest)")
                    return
                }
                #expect(got + tail.utf8.filter { $0 == UInt8(ascii: "\n") }.count == 9 * 1024)
                #expect(tail.hasSuffix("o8-1023 " + String(repeating: "x", count: 1014) + "\n"))
            }
        }
    }

    @Test("a build with its steps and logs, filtered and read back; unknown parents are 404")
    func builds() async throws {
        try await withTestDatabase(.sqlite) { db in
            let master = try await db.masters.findMasterId("m1")
            let linux = try await db.builders.findBuilderId("linux")
            _ = try await db.builders.findBuilderId("mac")
            let (_, requests) = try await db.buildsets.addBuildset(reason: "r", builderids: [linux])
            let request = try #require(requests[linux])
            let first = try await db.builds.addBuild(
                builderid: linux, buildrequestid: request, workerid: nil, masterid: master)
            try await db.builds.finishBuild(first.id, results: .failure)
            let second = try await db.builds.addBuild(
                builderid: linux, buildrequestid: request, workerid: nil, masterid: master)
            let step = try await db.steps.addStep(buildid: second.id, name: "compile")
            let log = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
            try await db.logs.appendLog(log, "hmake\nocompiling\neoops\n")
            try await withAPIServer(db) { base in
                let builders = try await httpGet(base, "/api/v2/builders?order=name")
                #expect(builders["builders", 0, "name"] == .string("linux") && builders["meta", "total"] == .number(2))
                let builds = try await httpGet(base, "/api/v2/builders/\(linux)/builds?complete=false")
                #expect(builds["meta", "total"] == .number(1) && builds["builds", 0, "number"] == .number(2))
                let all = try await httpGet(base, "/api/v2/builds?order=-number")
                #expect(all["builds", 1, "results"] == .number(2) && all["builds", 0, "results"] == .null)
                let one = try await httpGet(base, "/api/v2/builds/\(second.id)")
                #expect(one["builds", 0, "buildrequestid"] == .number(Double(request)))
                let steps = try await httpGet(base, "/api/v2/builds/\(second.id)/steps")
                #expect(
                    steps["steps", 0, "name"] == .string("compile") && steps["steps", 0, "complete"] == .bool(false))
                let logs = try await httpGet(base, "/api/v2/steps/\(step.id)/logs")
                #expect(logs["logs", 0, "slug"] == .string("stdio") && logs["logs", 0, "num_lines"] == .number(3))
                let contents = try await httpGet(base, "/api/v2/logs/\(log)/contents")
                #expect(contents["logchunks", 0, "content"] == .string("hmake\nocompiling\neoops\n"))
                let tail = try await httpGet(base, "/api/v2/logs/\(log)/contents?offset=1&limit=1")
                #expect(
                    tail["logchunks", 0, "content"] == .string("ocompiling\n")
                        && tail["logchunks", 0, "firstline"] == .number(1))
                let rest = try await httpGet(base, "/api/v2/logs/\(log)/contents?offset=2")
                #expect(rest["logchunks", 0, "content"] == .string("eoops\n"))
                let none = try await httpGet(base, "/api/v2/logs/\(log)/contents?offset=3")
                #expect(none["logchunks", 0, "content"] == .string(""))
                #expect(try await httpGet(base, "/api/v2/logs/\(log)/contents?offset=-1").status == 400)
                #expect(try await httpGet(base, "/api/v2/logs/\(log)/contents?from=1").status == 400)
                let resource = try await httpGet(base, "/api/v2/logs/\(log)")
                #expect(
                    resource["logs", 0, "num_lines"] == .number(3) && resource["logs", 0, "complete"] == .bool(false))
                let raw = try await httpGetText(base, "/api/v2/logs/\(log)/raw")
                #expect(raw.status == 200 && raw.text == "make\ncompiling\noops\n")
                #expect(try await httpGet(base, "/api/v2/builds/999/steps").status == 404)
                #expect(try await httpGet(base, "/api/v2/builders/999/builds").status == 404)
                #expect(try await httpGet(base, "/api/v2/logs/999/contents").status == 404)
                #expect(try await httpGet(base, "/api/v2/builds?colour=red").status == 400)
            }
        }
    }
}
