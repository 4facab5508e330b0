import GantryModel
import Testing

@Suite("Step state strings, links and conditions")
struct StepDescriptionTests {
    private let interpolation = Interpolation(
        properties: ["version": "1.2", "branch": "main", "buildnumber": 7, "report": "javascript:alert(1)"],
        sourceStamps: [:], secret: { ["token": "s3cret"][$0] })

    private func described(_ step: Step, runs: Bool = true) throws -> StepDescription {
        try StepDescription(step, runs: runs, rendering: interpolation)
    }

    @Test("Buildbot's rules: description while running, descriptionDone once done, suffix, result unless SUCCESS")
    func texts() {
        let plain = StepDescription()
        #expect(plain.running == "running")
        #expect(plain.finished(.success) == "finished" && plain.finished(.failure) == "finished (failure)")
        let compile = StepDescription(description: "compiling", descriptionDone: "compile", descriptionSuffix: "app")
        #expect(compile.running == "compiling app")
        #expect(compile.finished(.success) == "compile app")
        #expect(compile.finished(.warnings) == "compile app (warnings)")
        #expect(compile.finished(.skipped) == "compile app (skipped)")
        let onlyRunning = StepDescription(description: "testing")
        #expect(onlyRunning.finished(.exception) == "testing (exception)")
    }

    @Test("a shell command shows its first two words when done, unless it has descriptionDone")
    func shellCommands() throws {
        let make = try described(.shell("test", .shell("make  test\tV=%(prop:version)s")))
        #expect(make.running == "running")
        #expect(make.finished(.success) == "'make test ...'" && make.finished(.failure) == "'make test ...' (failure)")
        #expect(try described(.shell("one", .argv(["ls"]))).finished(.cancelled) == "'ls' (cancelled)")
        var named = Step.shell("test", .argv(["make", "test"]))
        named.description = "testing %(prop:version)s"
        #expect(try described(named).running == "testing 1.2")
        #expect(try described(named).finished(.success) == "'make test'", "Buildbot's ShellMixin ignores description")
        named.descriptionDone = "tested %(prop:version)s"
        #expect(try described(named).finished(.failure) == "tested 1.2 (failure)")
        #expect(try described(named, runs: false).finished(.skipped) == "tested 1.2 (skipped)")
    }

    @Test("secrets in a state string are shown as <NAME>")
    func secretsMasked() throws {
        var step = Step.shell("push", .shell("push --token=%(secret:token)s now"))
        step.description = "pushing with %(secret:token)s"
        let description = try described(step)
        #expect(description.running == "pushing with <token>")
        #expect(description.finished(.success) == "'push --token=<token> ...'")
        step.description = "%(secret:missing)s"
        #expect(throws: Interpolation.Failure.unknownSecret("missing")) { try described(step) }
    }

    @Test("each kind of step describes itself as Buildbot's does")
    func kinds() throws {
        let cat = ShellCommand(.shell("cat VERSION"))
        let version = Step(name: "v", action: .setPropertyFromCommand(cat, property: "v"))
        #expect(try described(version).finished(.success) == "property 'v' set")
        #expect(try described(version).finished(.failure) == "'cat VERSION' (failure)")

        var checkout = GitCheckout(repourl: "https://example.org/app.git")
        #expect(try described(Step(name: "git", action: .git(checkout))).running == "updating")
        checkout.codebase = "app"
        let git = try described(Step(name: "git", action: .git(checkout)))
        #expect(git.running == "updating app" && git.finished(.failure) == "update app (failure)")

        let upload = Step(
            name: "up", action: .fileUpload(FileUpload(workersrc: "dist/app-%(prop:version)s.tar", masterdest: "a")))
        #expect(try described(upload).running == "uploading app-1.2.tar")
        #expect(try described(upload).finished(.success) == "uploading app-1.2.tar")
        #expect(try described(upload, runs: false).finished(.skipped) == "finished (skipped)")
        let html = DirectoryUpload(workersrc: "build/html", masterdest: "d")
        var docs = Step(name: "docs", action: .directoryUpload(html))
        docs.descriptionDone = "docs"
        #expect(try described(docs).finished(.success) == "uploading html", "DirectoryUpload sets descriptionDone")
        #expect(try described(docs, runs: false).finished(.skipped) == "docs (skipped)")
        let download = Step(name: "dl", action: .fileDownload(FileDownload(mastersrc: "m", workerdest: "conf/a.ini")))
        #expect(try described(download).finished(.failure) == "downloading to a.ini (failure)")

        let trigger = Step(name: "t", action: .trigger(TriggerBuilds(schedulerNames: ["tests", "docs"])))
        #expect(try described(trigger).running == "triggered tests, docs")
        #expect(try described(trigger).finished(.failure) == "triggered tests, docs")
        #expect(try described(trigger).finished(.cancelled) == "interrupted")
        #expect(try described(trigger, runs: false).finished(.skipped) == "finished")
    }

    @Test("doStepIf: equals, notEquals, in, exists, compared as text; an unset property equals nothing")
    func conditions() {
        let properties: [String: JSONValue] = ["branch": "main", "buildnumber": 7, "flag": true]
        #expect(StepCondition(property: "branch", .equals("main")).holds(for: properties))
        #expect(!StepCondition(property: "branch", .equals("dev")).holds(for: properties))
        #expect(StepCondition(property: "buildnumber", .equals("7")).holds(for: properties))
        #expect(StepCondition(property: "flag", .oneOf(["yes", "true"])).holds(for: properties))
        #expect(!StepCondition(property: "missing", .oneOf(["", "main"])).holds(for: properties))
        #expect(StepCondition(property: "missing", .notEquals("main")).holds(for: properties))
        #expect(!StepCondition(property: "branch", .notEquals("main")).holds(for: properties))
        #expect(StepCondition(property: "missing", .exists(false)).holds(for: properties))
        #expect(StepCondition(property: "branch", .exists(true)).holds(for: properties))
    }

    @Test("links: http(s) only, rendered; a secret or another scheme after rendering is refused")
    func links() throws {
        #expect(StepURL.isWebAddress("https://example.org/r/7") && StepURL.isWebAddress("HTTP://example.org"))
        for address in ["javascript:alert(1)", "data:text/html,x", "/relative", "https://", "ftp://example.org", ""] {
            #expect(!StepURL.isWebAddress(address), "\(address)")
        }
        #expect(StepURL.mayBeWebAddress("https://ci.example.org/%(prop:buildnumber)s"))
        #expect(StepURL.mayBeWebAddress("%(prop:report)s"))
        #expect(!StepURL.mayBeWebAddress("javascript:%(prop:x)s") && !StepURL.mayBeWebAddress("javascript:alert(1)"))

        let report = StepURL(name: "report %(prop:buildnumber)s", url: "https://ci.example.org/%(prop:buildnumber)s")
        #expect(try report.rendered(with: interpolation) == StepURL(name: "report 7", url: "https://ci.example.org/7"))
        #expect(throws: StepURL.Problem.notWeb("javascript:alert(1)")) {
            try StepURL(name: "r", url: "%(prop:report)s").rendered(with: interpolation)
        }
        #expect(throws: StepURL.Problem.secret) {
            try StepURL(name: "r", url: "https://example.org/?t=%(secret:token)s").rendered(with: interpolation)
        }

        var upload = FileUpload(workersrc: "app.tar", masterdest: "public/app-%(prop:version)s.tar")
        upload.url = "https://ci.example.org/app.tar"
        var step = Step(name: "up", action: .fileUpload(upload))
        step.urls = [report]
        #expect(
            StepURL.links(of: step) == [
                report, StepURL(name: "app-%(prop:version)s.tar", url: "https://ci.example.org/app.tar"),
            ])
    }
}
