import Foundation
import GantryModel
import Testing

@Suite("Interpolation in step texts")
struct InterpolationTests {
    private let interpolation = Interpolation(
        properties: ["version": "1.2", "empty": "", "count": 3, "off": false],
        sourceStamps: [
            "": SourceStamp(
                id: 1, branch: "main", revision: "abc", repository: "https://example.org/r.git", createdAt: Date())
        ],
        secret: { ["token": "s3cret", "short": "s3"][$0] })

    @Test("properties, source stamp fields and secrets render, unset ones empty; other percent signs stay")
    func rendering() throws {
        let rendered = try interpolation.render(
            "v%(prop:version)s n=%(prop:count)s on %(src::branch)s@%(src::revision)s [%(prop:missing)s] 100% %(secret:token)s %%(x)s printf %s %d"
        )
        #expect(rendered.text == "v1.2 n=3 on main@abc [] 100% s3cret %(x)s printf %s %d")
        #expect(rendered.secrets == ["token": "s3cret"])
    }

    @Test("Buildbot's defaults: :- when unset, :~ when unset or false-ish, :+ when set")
    func defaults() throws {
        #expect(try interpolation.render("%(prop:missing:-none)s %(prop:empty:-none)s").text == "none ")
        #expect(
            try interpolation.render("%(prop:empty:~none)s %(prop:off:~none)s %(prop:count:~none)s").text
                == "none none 3")
        #expect(try interpolation.render("%(prop:version:+set)s|%(prop:missing:+set)s").text == "set|")
        #expect(try interpolation.render("%(src:other:branch:-trunk)s").text == "trunk")
    }

    @Test("unknown secrets and malformed expressions are errors, never empty texts")
    func failures() {
        #expect(throws: Interpolation.Failure.unknownSecret("nope")) { try interpolation.render("%(secret:nope)s") }
        for text in ["%(prop:x)", "%(prop:x", "%(kw:x)s", "%(prop)s", "%(secret:a:-b)s"] {
            #expect(throws: Interpolation.Failure.malformed(text)) { try interpolation.render(text) }
        }
    }
}
