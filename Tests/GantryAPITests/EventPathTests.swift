import GantryModel
import GantryTesting
import Testing

@testable import GantryAPI

@Suite("Event paths", .paced)
struct EventPathTests {
    @Test("a pattern matches keys of as many segments, `*` standing for any one")
    func matching() throws {
        let builds = try EventPath(parsing: "builds/*/*")
        #expect(builds.matches("builds/12/finished") && builds.matches("builds/1/new"))
        #expect(!builds.matches("builds/12") && !builds.matches("builds/12/finished/x"))
        #expect(!builds.matches("steps/3/new") && !builds.matches(""))
        let one = try EventPath(parsing: "logs/12/*")
        #expect(one.matches("logs/12/append") && !one.matches("logs/120/append"))
        #expect(try EventPath(parsing: "*/*/*").matches("pools/linux/started"))
        #expect(try EventPath(parsing: "masters/1/started").matches("masters/1/started"))
        #expect(builds.description == "builds/*/*")
    }

    @Test(
        "malformed patterns are refused",
        arguments: ["", "/builds", "builds/", "builds//new", "b*/new", "builds/*x/new", "1/2/3/4/5/6/7/8/9"]
    )
    func refused(_ text: String) {
        #expect(throws: GantryError.self) { try EventPath(parsing: text) }
    }

    @Test("a pattern is at most 200 characters and 8 segments")
    func bounds() throws {
        _ = try EventPath(parsing: String(repeating: "a", count: 200))
        _ = try EventPath(parsing: "1/2/3/4/5/6/7/8")
        #expect(throws: GantryError.self) { try EventPath(parsing: String(repeating: "a", count: 201)) }
    }
}
