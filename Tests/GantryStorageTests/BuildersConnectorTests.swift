import GantryModel
import GantryStorage
import GantryTesting
import Testing

@Suite("BuildersConnector", .paced)
struct BuildersConnectorTests {
    @Test("findBuilderId is find-or-create and case-sensitive", arguments: TestBackend.enabled)
    func find(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.builders.findBuilderId("linux")
            #expect(try await db.builders.findBuilderId("linux") == id)
            #expect(try await db.builders.findBuilderId("Linux") != id)
        }
    }

    @Test(
        "updateBuilderList sets one master's builders exactly and drops their configured workers",
        arguments: TestBackend.enabled)
    func updateList(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = try await WorkersFixture.load(db)
            try await db.builders.updateBuilderList(f.m10, builderids: [f.b22])
            try await db.builders.updateBuilderList(f.m10, builderids: [f.b22])
            #expect(try await db.builders.getBuilders(masterid: f.m10).map(\.id) == [f.b22])
            #expect(try await db.builders.getBuilders(masterid: f.m11).map(\.id) == [f.b20, f.b22])
            let all = try await db.builders.getBuilders()
            #expect(
                all == [
                    Builder(id: f.b20, name: "b20", masterIDs: [f.m11]),
                    Builder(id: f.b21, name: "b21", masterIDs: []),
                    Builder(id: f.b22, name: "b22", masterIDs: [f.m10, f.m11].sorted()),
                ])
            #expect(WorkersFixture.pairs(try await db.workers.getWorker(f.w30)) == [f.on(f.b20, f.m11)])
        }
    }

    @Test(
        "updateBuilderInfo records a builder's description and tags, replaced on the next call",
        arguments: TestBackend.enabled)
    func info(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await db.builders.findBuilderId("linux")
            try await db.builders.updateBuilderInfo(id, description: "the Linux build", tags: ["linux", "x86_64"])
            var builder = try #require(try await db.builders.getBuilders().first)
            #expect(builder.description == "the Linux build" && builder.tags == ["linux", "x86_64"])
            try await db.builders.updateBuilderInfo(id, description: nil, tags: [])
            builder = try #require(try await db.builders.getBuilders().first)
            #expect(builder.description == nil && builder.tags.isEmpty)
        }
    }
}
