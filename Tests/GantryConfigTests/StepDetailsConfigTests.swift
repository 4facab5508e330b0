import GantryConfig
import GantryModel
import Testing

@Suite("Step descriptions, links, hideStepIf and doStepIf in the configuration")
struct StepDetailsConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    private func steps(_ yaml: String) throws -> [Step] {
        try loader.parse(
            """
            workers: [{name: wk1, password: p}]
            builders:
              - name: linux
                workers: [wk1]
                steps:
            \(yaml)
            """
        ).builders.flatMap(\.steps)
    }

    private func problems(_ yaml: String) -> [String] {
        let error = #expect(throws: ConfigError.self) { try steps(yaml) }
        return error?.problems.map(\.description) ?? []
    }

    @Test("texts, links, hideStepIf and each form of doStepIf are read onto the step")
    func read() throws {
        let read = try steps(
            """
                  - shell: make test
                    description: testing %(prop:branch)s
                    descriptionDone: tested
                    descriptionSuffix: quickly
                    urls:
                      - {name: report, url: "https://ci.example.org/%(prop:buildnumber)s/report"}
                      - {name: coverage, url: "%(prop:coverage_url)s"}
                    hideStepIf: success
                    doStepIf: {property: branch, equals: main}
                  - {shell: a, hideStepIf: [success, skipped], doStepIf: {property: branch, notEquals: main}}
                  - {shell: b, hideStepIf: true, doStepIf: {property: branch, in: [main, "release/1"]}}
                  - {shell: c, hideStepIf: false, doStepIf: {property: deploy, exists: true}}
                  - fileUpload: {workersrc: app.tar, masterdest: out/app.tar, url: "https://ci.example.org/app.tar"}
                  - fileUpload: {workersrc: app.tar, masterdest: out/app.tar, url: "https://x.org/a", urlText: App}
            """)
        #expect(read.count == 6)
        let first = read[0]
        #expect(first.description == "testing %(prop:branch)s" && first.descriptionDone == "tested")
        #expect(first.descriptionSuffix == "quickly")
        #expect(
            first.urls == [
                StepURL(name: "report", url: "https://ci.example.org/%(prop:buildnumber)s/report"),
                StepURL(name: "coverage", url: "%(prop:coverage_url)s"),
            ])
        #expect(first.hideStepIf == [.success] && first.doStepIf == StepCondition(property: "branch", .equals("main")))
        #expect(read[1].hideStepIf == [.success, .skipped])
        #expect(read[1].doStepIf == StepCondition(property: "branch", .notEquals("main")))
        #expect(read[2].hideStepIf == Set(BuildResult.allCases))
        #expect(read[2].doStepIf == StepCondition(property: "branch", .oneOf(["main", "release/1"])))
        #expect(read[3].hideStepIf.isEmpty && read[3].doStepIf == StepCondition(property: "deploy", .exists(true)))
        #expect(read[3].description == nil && read[3].urls.isEmpty)
        guard case .fileUpload(let upload) = read[4].action, case .fileUpload(let named) = read[5].action else {
            Issue.record("not uploads: \(read[4].action), \(read[5].action)")
            return
        }
        #expect(upload.url == "https://ci.example.org/app.tar" && upload.urlText == nil)
        #expect(named.url == "https://x.org/a" && named.urlText == "App")
    }

    @Test("a link that cannot be http(s), a malformed hideStepIf or doStepIf: located errors, nothing loaded")
    func mistakes() {
        #expect(
            problems(
                """
                      - shell: a
                        description: ""
                        urls:
                          - {name: x, url: "javascript:alert(1)"}
                          - {url: "https://example.org"}
                          - {name: y, url: "ftp://example.org/%(prop:f)s", label: z}
                          - report
                        hideStepIf: sometimes
                        doStepIf: {property: branch, equals: main, in: [dev]}
                      - {shell: b, urls: {name: x}, hideStepIf: [success, 3], doStepIf: {equals: main}}
                      - {shell: c, doStepIf: {property: branch, in: []}}
                      - {shell: d, doStepIf: {property: deploy, exists: maybe}}
                      - {shell: e, doStepIf: branch == main}
                      - fileUpload: {workersrc: a, masterdest: b, url: "file:///etc/passwd"}
                """) == [
                    "builders[0].steps[0].description: must be a non-empty string",
                    "builders[0].steps[0].urls[0].url: must be an http or https address like "
                        + "\"https://example.org/report\"",
                    "builders[0].steps[0].urls[1].name: is required",
                    "builders[0].steps[0].urls[2].label: unknown key (expected one of: name, url)",
                    "builders[0].steps[0].urls[2].url: must be an http or https address like "
                        + "\"https://example.org/report\"",
                    "builders[0].steps[0].urls[3]: must be a mapping like "
                        + "{name: report, url: \"https://example.org/report\"}",
                    "builders[0].steps[0].hideStepIf: must be true, false, a result (success, warnings, failure, "
                        + "skipped, exception, retry, cancelled) or a list of results",
                    "builders[0].steps[0].doStepIf: must have exactly one of equals, notEquals, in, exists",
                    "builders[0].steps[1].urls: must be a list of links like "
                        + "{name: report, url: \"https://example.org/report\"}",
                    "builders[0].steps[1].hideStepIf: must be true, false, a result (success, warnings, failure, "
                        + "skipped, exception, retry, cancelled) or a list of results",
                    "builders[0].steps[1].doStepIf.property: is required",
                    "builders[0].steps[2].doStepIf.in: must be a non-empty list of values",
                    "builders[0].steps[3].doStepIf.exists: must be true or false",
                    "builders[0].steps[4].doStepIf: must be a mapping like {property: branch, equals: main}",
                    "builders[0].steps[5].fileUpload.url: must be an http or https address like "
                        + "\"https://example.org/report\"",
                ])
    }
}
