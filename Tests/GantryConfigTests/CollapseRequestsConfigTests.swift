import GantryConfig
import GantryModel
import Testing

@Suite("ConfigLoader: collapseRequests")
struct CollapseRequestsConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    @Test("Buildbot's default: collapse; a top-level default; per builder true, false or the rule with options")
    func rules() throws {
        #expect(try loader.parse("{}").collapseRequests == .always)
        let config = try loader.parse(
            """
            collapseRequests: false
            builders:
              - {name: inherits}
              - {name: collapsing, collapseRequests: true}
              - {name: separate, collapseRequests: false}
              - name: tuned
                collapseRequests: {ignoreProperties: [owner, reason], sameRevision: true}
              - {name: plain, collapseRequests: {}}
            """)
        #expect(config.collapseRequests == .never)
        #expect(
            config.builders.map(\.collapseRequests) == [
                nil, .always, .never, CollapseRule(ignoreProperties: ["owner", "reason"], sameRevision: true),
                .always,
            ])
    }

    @Test("anything else is refused, located")
    func refused() {
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                collapseRequests: sometimes
                builders:
                  - {name: a, collapseRequests: {ignoreProperties: owner, always: true}}
                  - {name: b, collapseRequests: {sameRevision: maybe}}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "builders[0].collapseRequests.always: unknown key (expected one of: ignoreProperties, sameRevision)",
                "builders[0].collapseRequests.ignoreProperties: must be a list of names",
                "builders[1].collapseRequests.sameRevision: must be true or false",
                "collapseRequests: must be true, false or {ignoreProperties: [NAME], sameRevision: BOOL}",
            ])
    }
}
