import Foundation
import GantryAPI
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

@Suite("Web UI: the build pages and their forms", .paced, .timeLimit(.minutes(3)))
struct WebPagesTests {
    /// A builder `linux` with a finished build (#1: a step `compile` with a 1,200-line stdio log, a property and a
    /// change), a running build (#2 on worker w1) and a waiting request; and a builder `windows` with none.
    struct Fixture {
        var master: Int
        var linux: Int
        var windows: Int
        var finished: Int
        var running: Int
        var runningRequest: Int
        var waitingRequest: Int
        var log: Int
    }

    static let logLines = 1200
    /// The line of the fixture's log holding the text searched for.
    static let needleLine = 777

    private func fixture(_ db: Database) async throws -> Fixture {
        let master = try await db.masters.findMasterId("m1")
        let linux = try await db.builders.findBuilderId("linux")
        let windows = try await db.builders.findBuilderId("windows")
        try await db.builders.updateBuilderInfo(linux, description: "Builds on Linux", tags: ["unix"])
        try await db.builders.updateBuilderInfo(windows, description: nil, tags: ["win"])
        try await db.builders.updateBuilderList(master, builderids: [linux, windows])
        let worker = try await db.workers.findWorkerId("w1")
        try await db.workers.workerConfigured(worker, masterid: master, builderids: [linux])
        try await db.workers.workerConnected(worker, masterid: master, workerInfo: [:])
        let change = try await db.changes.addChange(
            NewChange(
                author: "ada <ada@example.org>", comments: "Fix the <frobnicator>", revision: "abc123def4567890",
                branch: "main"))
        let stamp = try #require(try await db.changes.getChange(change)?.sourceStampID)

        let (_, first) = try await db.buildsets.addBuildset(
            reason: "first", builderids: [linux], sourceStampIDs: [stamp], properties: ["owner": ["ada", "Force"]])
        let firstRequest = try #require(first[linux])
        try await db.buildRequests.claimBuildRequests([firstRequest], masterid: master)
        let finished = try await db.builds.addBuild(
            builderid: linux, buildrequestid: firstRequest, workerid: worker, masterid: master)
        let step = try await db.steps.addStep(buildid: finished.id, name: "compile")
        try await db.steps.startStep(step.id)
        let log = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
        var text = ""
        for line in 0..<Self.logLines {
            let content: String =
                switch line {
                case 3: "e<b>error</b> & \u{1B}[31mred\u{1B}[0m\n"
                case Self.needleLine: "oa needle in the log\n"
                default: "oline \(line)\n"
                }
            text += content
        }
        try await db.logs.appendLog(log, text)
        try await db.logs.finishLog(log)
        try await db.steps.finishStep(step.id, results: .success)
        try await db.builds.setBuildProperty(finished.id, name: "answer", value: 42, source: "test")
        _ = try await db.builds.endBuild(
            finished.id, results: .success, buildrequestid: firstRequest, masterid: master)

        let (_, second) = try await db.buildsets.addBuildset(
            reason: "second", builderids: [linux], sourceStampIDs: [stamp])
        let runningRequest = try #require(second[linux])
        try await db.buildRequests.claimBuildRequests([runningRequest], masterid: master)
        let running = try await db.builds.addBuild(
            builderid: linux, buildrequestid: runningRequest, workerid: worker, masterid: master)
        let runningStep = try await db.steps.addStep(buildid: running.id, name: "test")
        try await db.steps.startStep(runningStep.id)
        try await db.steps.setStepStateString(runningStep.id, "testing the frobnicator")

        let (_, third) = try await db.buildsets.addBuildset(reason: "third", builderids: [linux])
        return Fixture(
            master: master, linux: linux, windows: windows, finished: finished.id, running: running.id,
            runningRequest: runningRequest, waitingRequest: try #require(third[linux]), log: log)
    }

    /// A force scheduler of `linux` that master `master` runs, with a parameter of each kind.
    private func forceScheduler(_ db: Database, master: Int) async throws -> ForceScheduler {
        let id = try await db.schedulers.findSchedulerId("force")
        try await db.schedulers.setSchedulerMaster(id, masterid: master)
        return ForceScheduler(
            options: SchedulerOptions(name: "force", builderNames: ["linux"]),
            parameters: [
                ForceParameter(name: "count", kind: .int, label: "Count", defaultValue: 2),
                ForceParameter(
                    name: "greeting", kind: .string, label: "Greeting", defaultValue: "hello", required: true),
                ForceParameter(name: "target", kind: .choice(["debug", "release"])),
                ForceParameter(name: "clean", kind: .boolean),
                ForceParameter(name: "notes", kind: .text),
            ],
            context: SchedulerContext(database: db, clock: ContinuousClock(), logger: silentLogger))
    }

    @Test("each page answers 200 HTML in the layout, with what the fixture holds")
    func pages() async throws {
        try await withTestDatabase(.sqlite) { db in
            let fixture = try await fixture(db)
            try await withAPIServer(db, masterID: fixture.master) { base in
                let home = try await get(base, "/")
                #expect(home.status == 200)
                #expect(home.headers["content-type"] == "text/html; charset=utf-8")
                for part in [
                    #"<body data-feed="builds/*/*,buildrequests/*/*">"#, #"<main id="content">"#,
                    #"<span id="live-status""#, #"<a href="/" aria-current="page">Home</a>"#,
                    #"<a href="/grid">Grid</a>"#, #"<a href="/masters">Masters</a>"#, "/assets/live.js?v=",
                    "/assets/gantry.css?v=", "<meta name=\"viewport\"",
                    // Running build #2 with its current step, finished #1, and linux's waiting request.
                    #"href="/builders/\#(fixture.linux)/builds/2">#2</a>"#, "test: testing the frobnicator",
                    #"href="/builders/\#(fixture.linux)/builds/1">#1</a>"#, "SUCCESS", "RUNNING",
                    #"<td class="num">1</td>"#,
                ] {
                    #expect(home.text.contains(part), "home has \(part)")
                }

                let builders = try await get(base, "/builders")
                #expect(builders.status == 200)
                #expect(builders.text.contains(#"<a href="/builders/\#(fixture.linux)">linux</a>"#))
                #expect(builders.text.contains(#"<a href="/builders/\#(fixture.windows)">windows</a>"#))
                #expect(builders.text.contains(#"<a class="tag" href="/builders?tag=unix">unix</a>"#))
                #expect(builders.text.contains(#"aria-current="page">Builders</a>"#))

                let builder = try await get(base, "/builders/\(fixture.linux)")
                #expect(builder.status == 200)
                for part in [
                    "<h1>linux</h1>", "Builds on Linux", ">#1</a>", ">#2</a>", "#\(fixture.waitingRequest)",
                    #"action="/ui/buildrequests/\#(fixture.waitingRequest)/cancel""#, ">w1</a>", "connected",
                    #"data-feed-filter="{&quot;builderid&quot;:\#(fixture.linux)}""#,
                ] {
                    #expect(builder.text.contains(part), "the builder page has \(part)")
                }

                for path in ["/builds/\(fixture.finished)", "/builders/\(fixture.linux)/builds/1"] {
                    let build = try await get(base, path)
                    #expect(build.status == 200)
                    for part in [
                        #"<body data-feed="builds/*/*,steps/*/*">"#,
                        #"data-feed-filter="{&quot;buildid&quot;:\#(fixture.finished)}""#,
                        "compile", "SUCCESS", #"<a href="/logs/\#(fixture.log)">stdio</a>"#, "answer", "42",
                        "ada &lt;ada@example.org&gt;", "abc123def456", "Fix the &lt;frobnicator&gt;", "first",
                        #"action="/ui/builds/\#(fixture.finished)/rebuild""#,
                    ] {
                        #expect(build.text.contains(part), "\(path) has \(part)")
                    }
                    // Finished: no stop form.
                    #expect(!build.text.contains("/ui/builds/\(fixture.finished)/stop"))
                }
                let running = try await get(base, "/builds/\(fixture.running)")
                #expect(running.text.contains(#"action="/ui/builds/\#(fixture.running)/stop""#))
                #expect(running.text.contains("RUNNING"))

                let log = try await get(base, "/logs/\(fixture.log)")
                #expect(log.status == 200)
                for part in [
                    #"<div id="log" data-logid="\#(fixture.log)" data-num-lines="\#(Self.logLines)""#,
                    #"data-complete="true" data-type="s">"#,
                    ##"<div class="line o" id="L0"><a href="#L0" class="ln">0</a>"##,
                    #"<span class="text">line 0</span></div>"#,
                    ##"<div class="line e" id="L3"><a href="#L3" class="ln">3</a>"##,
                    "&lt;b&gt;error&lt;/b&gt; &amp; red</span>", #"<form id="log-search""#,
                    "/api/v2/logs/\(fixture.log)/raw", #"href="/logs/\#(fixture.log)?from=500" rel="next""#,
                    "/assets/log.js?v=", #"<body data-feed="">"#,
                ] {
                    #expect(log.text.contains(part), "the log page has \(part)")
                }
                #expect(!log.text.contains("id=\"L500\""))
                #expect(!log.text.contains("\u{1B}"))

                let grid = try await get(base, "/grid")
                #expect(grid.status == 200)
                #expect(grid.text.contains("abc123de"))
                #expect(grid.text.contains(#"<a href="/builders/\#(fixture.linux)/builds/2""#))
                #expect(grid.text.contains(#"aria-current="page">Grid</a>"#))
            }
        }
    }

    @Test("an unknown or malformed id is a 404 page; a bad option a 400 page")
    func notFound() async throws {
        try await withTestDatabase(.sqlite) { db in
            let fixture = try await fixture(db)
            try await withAPIServer(db, masterID: fixture.master) { base in
                for path in [
                    "/builds/999", "/builds/abc", "/builders/999", "/builders/x", "/builders/\(fixture.linux)/builds/9",
                    "/builders/\(fixture.linux)/builds/x", "/logs/999", "/logs/x",
                ] {
                    let answer = try await get(base, path)
                    #expect(answer.status == 404, "\(path)")
                    #expect(answer.headers["content-type"] == "text/html; charset=utf-8")
                    #expect(answer.text.contains("<h1>Not found</h1>"), "\(path)")
                    #expect(answer.text.contains(#"<main id="content">"#))
                }
                for path in [
                    "/builders?page=0", "/builders?page=x", "/logs/\(fixture.log)?from=-1",
                    "/logs/\(fixture.log)?q=line&direction=sideways", "/grid?page=-3",
                ] {
                    #expect(try await get(base, path).status == 400, "\(path)")
                }
            }
        }
    }

    @Test("the builders list searches by name, filters by tag and pages by 50")
    func builderList() async throws {
        try await withTestDatabase(.sqlite) { db in
            let fixture = try await fixture(db)
            for number in 0..<120 {
                // b000 … b119
                let id = try await db.builders.findBuilderId("b" + String(1000 + number).dropFirst())
                try await db.builders.updateBuilderInfo(id, description: nil, tags: number % 2 == 0 ? ["even"] : [])
            }
            try await withAPIServer(db, masterID: fixture.master) { base in
                let search = try await get(base, "/builders?q=B01")
                for number in 10...19 { #expect(search.text.contains(">b0\(number)</a>")) }
                #expect(!search.text.contains(">b020</a>"))
                #expect(!search.text.contains(">linux</a>"))
                #expect(search.text.contains(#"value="B01""#))

                let tagged = try await get(base, "/builders?tag=win")
                #expect(tagged.text.contains(">windows</a>"))
                #expect(!tagged.text.contains(">linux</a>"))
                #expect(tagged.text.contains(#"<strong class="tag" aria-current="true">win</strong>"#))

                // 122 builders by name: b000…b119, then linux and windows.
                let first = try await get(base, "/builders")
                #expect(first.text.contains(">b049</a>") && !first.text.contains(">b050</a>"))
                #expect(first.text.contains("Page 1 of 3 · 122 in all"))
                #expect(first.text.contains(#"<a href="/builders?page=2" rel="next">"#))
                let last = try await get(base, "/builders?page=3")
                #expect(last.text.contains(">linux</a>") && last.text.contains(">windows</a>"))
                #expect(!last.text.contains(">b099</a>"))
                #expect(!last.text.contains(#"rel="next""#))
                #expect(last.text.contains(#"<a href="/builders?page=2" rel="prev">"#))

                let evenSecond = try await get(base, "/builders?tag=even&page=2")
                #expect(evenSecond.text.contains(">b100</a>") && !evenSecond.text.contains(">b101</a>"))
                #expect(evenSecond.text.contains(#"<a href="/builders?tag=even" rel="prev">"#))
            }
        }
    }

    @Test("the log viewer shows a window of 500 lines from ?from=, and finds text without scripts")
    func logWindow() async throws {
        try await withTestDatabase(.sqlite) { db in
            let fixture = try await fixture(db)
            try await withAPIServer(db, masterID: fixture.master) { base in
                let middle = try await get(base, "/logs/\(fixture.log)?from=600")
                #expect(middle.status == 200)
                #expect(middle.text.contains(#"id="L600""#) && middle.text.contains(#"id="L1099""#))
                #expect(!middle.text.contains(#"id="L599""#) && !middle.text.contains(#"id="L1100""#))
                #expect(middle.text.contains(#"href="/logs/\#(fixture.log)?from=100" rel="prev""#))
                #expect(middle.text.contains(#"href="/logs/\#(fixture.log)?from=1100" rel="next""#))

                // Past the end: the last window.
                let end = try await get(base, "/logs/\(fixture.log)?from=5000")
                #expect(end.text.contains(#"id="L700""#) && end.text.contains(#"id="L1199""#))
                #expect(!end.text.contains(#"rel="next""#))

                let found = try await get(base, "/logs/\(fixture.log)?q=NEEDLE")
                #expect(found.text.contains(#"<div class="line o hit" id="L\#(Self.needleLine)">"#))
                #expect(found.text.contains(#"<input type="hidden" name="at" value="\#(Self.needleLine)">"#))
                let none = try await get(base, "/logs/\(fixture.log)?q=needle&at=\(Self.needleLine)")
                #expect(none.text.contains("No more lines contain"))
                let back = try await get(
                    base, "/logs/\(fixture.log)?q=needle&from=1000&direction=previous")
                #expect(back.text.contains(#"id="L\#(Self.needleLine)""#))
            }
        }
    }

    @Test("the force form: typed fields; a valid post adds a request and 303s, an invalid one shows its errors")
    func force() async throws {
        try await withTestDatabase(.sqlite) { db in
            let fixture = try await fixture(db)
            let scheduler = try await forceScheduler(db, master: fixture.master)
            try await withAPIServer(db, forceSchedulers: [scheduler], masterID: fixture.master) { base in
                let builder = try await get(base, "/builders/\(fixture.linux)")
                for part in [
                    #"<form method="post" action="/ui/forceschedulers/force">"#,
                    #"<input type="hidden" name="builderid" value="\#(fixture.linux)">"#,
                    #"<input type="number" step="1" id="force-0-1" name="priority" value="0">"#,
                    #"name="count" value="2">"#, #"name="greeting" value="hello" required>"#,
                    #"<option value="debug" selected>debug</option>"#, #"name="clean" value="true">"#,
                    #"name="notes" rows="3">"#,
                ] {
                    #expect(builder.text.contains(part), "the force form has \(part)")
                }
                let before = try await db.buildRequests.getBuildRequests(builderid: fixture.linux).count

                let forced = try await post(
                    base, "/ui/forceschedulers/force",
                    "builderid=\(fixture.linux)&count=+3+&greeting=bonjour+%26+salut&target=release&clean=true")
                #expect(forced.status == 303)
                #expect(forced.headers["location"] == "/builders/\(fixture.linux)")
                let requests = try await db.buildRequests.getBuildRequests(builderid: fixture.linux)
                #expect(requests.count == before + 1)
                let newest = try #require(requests.last)
                let buildset = try #require(try await db.buildsets.getBuildset(newest.buildsetID))
                #expect(buildset.properties["count"] == [3, "Force Build Form"])
                #expect(buildset.properties["greeting"] == ["bonjour & salut", "Force Build Form"])
                #expect(buildset.properties["clean"] == [true, "Force Build Form"])

                let invalid = try await post(
                    base, "/ui/forceschedulers/force", "builderid=\(fixture.linux)&count=abc&greeting=")
                #expect(invalid.status == 400)
                #expect(invalid.text.contains("must be an integer"))
                #expect(invalid.text.contains(#"name="count" value="abc">"#))
                #expect(try await db.buildRequests.getBuildRequests(builderid: fixture.linux).count == before + 1)

                #expect(try await post(base, "/ui/forceschedulers/nope", "builderid=\(fixture.linux)").status == 404)
                #expect(try await post(base, "/ui/forceschedulers/force", "count=1").status == 400)
            }
        }
    }

    @Test("stop, rebuild and cancel through their forms, each answering 303; refusals are error pages")
    func actions() async throws {
        try await withTestDatabase(.sqlite) { db in
            let fixture = try await fixture(db)
            try await withAPIServer(db, masterID: fixture.master) { base in
                let stop = try await post(base, "/ui/builds/\(fixture.running)/stop", "reason=enough+said")
                #expect(stop.status == 303 && stop.headers["location"] == "/builds/\(fixture.running)")
                #expect(try await db.builds.getStopRequests(masterid: fixture.master).map(\.reason) == ["enough said"])

                let buildsets = try await db.buildsets.getBuildsets().count
                let rebuild = try await post(base, "/ui/builds/\(fixture.finished)/rebuild", "reason=")
                #expect(rebuild.status == 303 && rebuild.headers["location"] == "/builders/\(fixture.linux)")
                #expect(try await db.buildsets.getBuildsets().count == buildsets + 1)

                let cancel = try await post(
                    base, "/ui/buildrequests/\(fixture.waitingRequest)/cancel", "reason=&next=%2Fbuildrequests")
                #expect(cancel.status == 303 && cancel.headers["location"] == "/buildrequests")
                #expect(try await db.buildRequests.getBuildRequest(fixture.waitingRequest)?.results == .cancelled)

                // Elsewhere than this server is not a place to go back to.
                let outside = try await post(
                    base, "/ui/builds/\(fixture.running)/stop", "next=%2F%2Fexample.org%2F")
                #expect(outside.headers["location"] == "/builds/\(fixture.running)")

                let finished = try await post(base, "/ui/builds/\(fixture.finished)/stop", "")
                #expect(finished.status == 409 && finished.text.contains("has already finished"))
                #expect(try await post(base, "/ui/builds/999/stop", "").status == 404)
                #expect(try await post(base, "/ui/buildrequests/999/cancel", "").status == 404)
                #expect(try await post(base, "/ui/builds/x/rebuild", "").status == 404)
                let large = try await post(
                    base, "/ui/builds/\(fixture.running)/stop", "reason=" + String(repeating: "a", count: 70_000))
                #expect(large.status == 413)
                let json = try await post(
                    base, "/ui/builds/\(fixture.running)/stop", "{}", contentType: "application/json")
                #expect(json.status == 415)
            }
        }
    }

    @Test("assets are served by name, kept a year when asked for by their current version")
    func assets() async throws {
        try await withTestDatabase(.sqlite) { db in
            try await withAPIServer(db) { base in
                let home = try await get(base, "/")
                let marker = "/assets/live.js?v="
                let start = try #require(home.text.range(of: marker)).upperBound
                let version = String(home.text[start...].prefix { $0.isHexDigit })
                #expect(version.count == 12)

                let current = try await get(base, "/assets/live.js?v=\(version)")
                #expect(current.status == 200)
                #expect(current.headers["content-type"] == "text/javascript; charset=utf-8")
                #expect(current.headers["cache-control"] == "public, max-age=31536000, immutable")
                #expect(current.text.contains("import"))
                let unversioned = try await get(base, "/assets/feed.js")
                #expect(unversioned.status == 200 && unversioned.headers["cache-control"] == "no-cache")
                #expect(try await get(base, "/assets/gantry.css").headers["content-type"] == "text/css; charset=utf-8")
                #expect(try await get(base, "/assets/nope.js").status == 404)
            }
        }
    }

    @Test("every template compiled into the binary parses")
    func templates() throws {
        _ = try WebTemplates()
    }

    // MARK: Requests

    /// An answer with its body as text.
    struct WebAnswer {
        var status: Int
        var headers: [String: String]
        var text: String
    }

    private func get(_ base: URL, _ path: String) async throws -> WebAnswer {
        page(try await rawExchange(base, head: "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n"))
    }

    /// POSTs `body` as a form (or as `contentType`), reading the answer as sent: a 303 is not followed.
    private func post(
        _ base: URL, _ path: String, _ body: String, contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> WebAnswer {
        let bytes = Array(body.utf8)
        let head = rawHead(path, ["Content-Type: \(contentType)", "Content-Length: \(bytes.count)"])
        return page(try await rawExchange(base, head: head, parts: [bytes]))
    }

    private func page(_ answer: RawAnswer) -> WebAnswer {
        WebAnswer(status: answer.status, headers: answer.headers, text: String(decoding: answer.body, as: UTF8.self))
    }
}
