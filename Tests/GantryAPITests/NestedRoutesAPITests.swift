import Foundation
import GantryModel
import GantryStorage
import GantryTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("HTTP API: routes under a parent, and the raw log shown inline", .paced, .timeLimit(.minutes(3)))
struct NestedRoutesAPITests {
    @Test(
        "a parent that does not exist is 404, an option the collection does not know 400",
        arguments: TestBackend.enabled)
    func refusals(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let master = try await db.masters.findMasterId("m1")
            let builder = try await db.builders.findBuilderId("linux")
            try await db.builders.updateBuilderList(master, builderids: [builder])
            try await withAPIServer(db) { base in
                for path in [
                    "/masters/999/workers", "/masters/x/workers", "/builders/999/workers", "/builders/nope/workers",
                    "/masters/\(master)/builders/999/workers", "/masters/999/builders/\(builder)/workers",
                    "/builds/999/changes", "/builders/999/buildrequests", "/builders/\(builder)/builds/999",
                    "/builders/\(builder)/builds/x", "/builders/999/masters", "/masters/999/builders",
                    "/workers/999/builds", "/workers/nobody/builds", "/sourcestamps/999", "/sourcestamps/x",
                    "/builders/999/forceschedulers", "/changes/999/builds", "/buildrequests/999/builds",
                    "/logs/999/raw_inline", "/steps/999", "/builds/999/steps/0", "/forceschedulers/nope",
                    "/changesources/999", "/builders/999",
                    "/builders/\(Int.max)/builds/\(Int.max)", "/builds/\(Int.max)/steps/\(Int.min)",
                ] {
                    #expect(try await httpGetText(base, "/api/v2" + path).status == 404, "\(path)")
                }
                for path in [
                    "/sourcestamps?nosuch=1", "/sourcestamps?ssid=x", "/projects?nosuch=1", "/codebases?order=nosuch",
                    "/test_result_sets?limit=-1", "/changesources?masterid=x", "/application.spec?limit=1",
                    "/builders/\(builder)/masters?active=maybe", "/masters/\(master)/builders?property=x",
                    "/forceschedulers?enabled=maybe",
                ] {
                    #expect(try await httpGet(base, "/api/v2" + path).status == 400, "\(path)")
                }
                let builders = try await httpGet(base, "/api/v2/builders/linux")
                #expect(builders["builders", 0, "builderid"] == .number(Double(builder)))
                #expect(builders["builders", 0, "description"] == JSONValue.null, "sent, as null")
                let byName = try await httpGet(base, "/api/v2/builders/linux/builds")
                let byID = try await httpGet(base, "/api/v2/builders/\(builder)/builds")
                #expect(byName.status == 200 && byName["builds"] == byID["builds"])
                let empty = try await httpGet(base, "/api/v2/projects?limit=5")
                #expect(empty.status == 200 && empty["projects"] == [] && empty["meta", "total"] == .number(0))
            }
        }
    }

    @Test("raw is a download named as Buildbot names it; raw_inline the same text, shown")
    func rawInline() async throws {
        try await withTestDatabase(.sqlite) { db in
            let step = try await addStep(to: db)
            let log = try await db.logs.addLog(stepid: step, name: "stdio", kind: .stdio)
            try await db.logs.appendLog(log, "hmake\nocompiling\neoops\n")
            try await withAPIServer(db) { base in
                func get(_ path: String) async throws -> (text: String, disposition: String?) {
                    let url = try #require(URL(string: base.absoluteString + path))
                    let (data, response) = try await URLSession.shared.data(from: url)
                    let http = try #require(response as? HTTPURLResponse)
                    #expect(http.statusCode == 200)
                    return (
                        String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Content-Disposition")
                    )
                }
                let raw = try await get("/api/v2/logs/\(log)/raw")
                let inline = try await get("/api/v2/logs/\(log)/raw_inline")
                #expect(raw.text == "make\ncompiling\noops\n" && inline.text == raw.text)
                #expect(raw.disposition == "attachment; filename=linux_build_1_step_compile_log_stdio")
                #expect(inline.disposition == nil)
            }
        }
    }
}
