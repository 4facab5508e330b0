import GantryModel
import Testing

@Suite("ChangeFilter")
struct ChangeFilterTests {
    private func change(
        branch: String? = "master", project: String = "p", category: String? = nil,
        properties: [String: JSONValue] = [:], files: [String] = []
    ) -> Change {
        Change(
            id: 1,
            details: NewChange(
                author: "a", files: files, properties: properties, branch: branch, repository: "r", project: project,
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
        let error = #expect(throws: GantryError.self) { try Pattern(glob: "re:docs/(") }
        #expect(error?.message == "'docs/(' after 're:' is not a valid regular expression")
    }

    /// Whether the file pattern `pattern` matches the whole of `path`; one that does not compile is an issue.
    private func glob(_ pattern: String, _ path: String) -> Bool {
        do {
            return try Pattern(glob: pattern).matchesWhole(path)
        } catch {
            Issue.record("'\(pattern)': \(error.message)")
            return false
        }
    }

    @Test("a glob's * matches any text, / included, as Python's fnmatch")
    func globStar() throws {
        #expect(glob("docs/*", "docs/readme.txt"))
        #expect(glob("docs/*", "docs/a/b.md"))
        #expect(glob("docs/*", "docs/"))
        #expect(!glob("docs/*", "docs"))
        #expect(!glob("docs/*", "src/docs/readme.txt"), "matched whole, from the start")
        #expect(glob("*.md", "docs/a/b.md"))
        #expect(!glob("*.md", "b.md.orig"), "matched whole, to the end")
        #expect(glob("src/**/*.swift", "src/a/b/c.swift"))
        #expect(glob("*", "line\nbreak"))
        let docs = FileImportance(exclude: [try Pattern(glob: "docs/*")])
        #expect(!docs.isImportant(change(files: ["docs/readme.txt", "docs/a/b.md"])))
        #expect(docs.isImportant(change(files: ["docs/readme.txt", "src/main.swift"])))
        let sources = FileImportance(include: [try Pattern(glob: "src/*")], exclude: [try Pattern(glob: "*.md")])
        #expect(sources.isImportant(change(files: ["src/a/b.swift"])))
        #expect(!sources.isImportant(change(files: ["src/a/b.md", "README"])))
    }

    @Test("a glob's ? is one character, [...] a set, [!...] its complement")
    func globCharacters() {
        #expect(glob("file?.c", "file1.c"))
        #expect(!glob("file?.c", "file.c"))
        #expect(!glob("file?.c", "file12.c"))
        #expect(glob("a?b", "a/b"))
        #expect(glob("v[0-9].[ch]", "v1.h"))
        #expect(!glob("v[0-9].[ch]", "vx.h"))
        #expect(!glob("v[0-9].[ch]", "v1.o"))
        #expect(glob("[!_]*.py", "setup.py"))
        #expect(!glob("[!_]*.py", "_private.py"))
        #expect(glob("[!a-c]", "d"))
        #expect(!glob("[!a-c]", "b"))
        #expect(glob("[]]", "]"), "] first is a member")
        #expect(glob("[!]]", "x"))
        #expect(!glob("[!]]", "]"))
        #expect(glob("[a-]", "-"), "- last is a member")
        #expect(glob("[-a]", "-"), "- first is a member")
        #expect(glob("[^a]", "^"), "^ is no negation, as in fnmatch")
        #expect(!glob("[^a]", "b"))
        #expect(glob("[.+]", "+"), "set members are literal")
        #expect(!glob("[.+]", "x"))
        #expect(glob("a[b", "a[b"), "an unclosed [ is literal")
        #expect(!glob("[z-a]", "m"), "a reversed range is empty")
        #expect(glob("[!z-a]", "m"))
    }

    @Test("in a glob, regular expression characters are literal")
    func globLiterals() {
        #expect(glob("a.b", "a.b"))
        #expect(!glob("a.b", "axb"))
        #expect(glob("c++/*.h", "c++/x.h"))
        #expect(!glob("c++/*.h", "cc/x.h"))
        #expect(glob("f(x)", "f(x)"))
        #expect(!glob("f(x)", "fx"))
        #expect(glob("a|b", "a|b"))
        #expect(!glob("a|b", "a"))
        #expect(glob("$x{2}^", "$x{2}^"))
        #expect(glob("dir\\*", "dir\\file"), "a backslash is literal too")
        #expect(glob("é/*", "é/ü"))
    }

    @Test("re: makes a file pattern a regular expression, matched whole; the plain form is another pattern")
    func globRegex() throws {
        #expect(glob("re:docs/.*\\.md", "docs/a/b.md"))
        #expect(!glob("re:docs/.*\\.md", "docs/a/b.txt"))
        #expect(!glob("re:docs", "docs/a.md"))
        #expect(glob("re:src|src/.*", "src/a.c"), "an alternation matches whole when a later branch does")
        #expect(try Pattern(glob: "a.c") != Pattern("a.c"))
        #expect(try Pattern(glob: "a.c") == Pattern(glob: "a.c"))
        #expect(try Pattern(glob: "re:a.c").source == "re:a.c")
    }
}
