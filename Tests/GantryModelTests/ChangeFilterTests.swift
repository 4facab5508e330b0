import GantryModel
import Testing

@Suite("ChangeFilter")
struct ChangeFilterTests {
    private func change(
        branch: String? = "master", project: String = "p", category: String? = nil,
        properties: [String: JSONValue] = [:]
    ) -> Change {
        Change(
            id: 1,
            details: NewChange(
                author: "a", properties: properties, branch: branch, repository: "r", project: project,
                category: category),
            when: .now,
            sourceStampID: 1
        )
    }

    @Test("exact, list, not-equal; branch null means the default branch")
    func equality() {
        #expect(ChangeFilter(rules: [.branch: [.equal(["master"])]]).accepts(change()))
        #expect(!ChangeFilter(rules: [.branch: [.equal(["master"])]]).accepts(change(branch: "other")))
        #expect(ChangeFilter(rules: [.branch: [.equal(["a", "master"])]]).accepts(change()))
        #expect(!ChangeFilter(rules: [.branch: [.notEqual(["master"])]]).accepts(change()))
        #expect(ChangeFilter(rules: [.branch: [.equal([nil])]]).accepts(change(branch: nil)))
        #expect(!ChangeFilter(rules: [.branch: [.equal([nil])]]).accepts(change()))
        #expect(!ChangeFilter(rules: [.category: [.equal(["ci"])]]).accepts(change()))
    }

    @Test("regex anchored at the start, not-regex, and every criterion ANDed")
    func patterns() throws {
        let release = try Pattern("rel")
        #expect(ChangeFilter(rules: [.branch: [.matches(release)]]).accepts(change(branch: "release/1")))
        #expect(!ChangeFilter(rules: [.branch: [.matches(release)]]).accepts(change(branch: "pre-release")))
        #expect(!ChangeFilter(rules: [.branch: [.matches(release)]]).accepts(change(branch: nil)))
        #expect(ChangeFilter(rules: [.branch: [.notMatches(release)]]).accepts(change(branch: "main")))
        let both = ChangeFilter(rules: [.branch: [.matches(release)], .project: [.equal(["q"])]])
        #expect(!both.accepts(change(branch: "release")))
        #expect(both.accepts(change(branch: "release", project: "q")))
    }

    @Test("property rules compare the property's value")
    func properties() {
        let filter = ChangeFilter(propertyRules: ["event": [.equal(["push"])]])
        #expect(filter.accepts(change(properties: ["event": ["push", "Change"]])), "as stored: [value, source]")
        #expect(filter.accepts(change(properties: ["event": "push"])))
        #expect(!filter.accepts(change()))
        #expect(ChangeFilter(propertyRules: ["event": [.notEqual(["push"])]]).accepts(change()))
    }

    @Test("an invalid pattern is an error naming it")
    func invalidPattern() {
        #expect(throws: GantryError.self) { try Pattern("(") }
    }
}
