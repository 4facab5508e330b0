import Foundation
import GantryModel
import GantryScheduling
import GantryStorage
import GantryTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Gantry's data API answers in Buildbot 4.3's shapes: for every route of the answers recorded from a real Buildbot
/// (`Tests/BuildbotAPI/record.py`), Gantry, holding the same kinds of objects, answers with the same collection key,
/// the same keys in its first item and the same keys in every object nested in its items, but for the differences
/// ``Deliberate`` lists.
@Suite("HTTP API: Buildbot 4.3's shapes", .paced, .timeLimit(.minutes(3)))
struct BuildbotKeySetTests {
    /// Every deliberate difference from Buildbot 4.3's answers, and why; nothing else may differ.
    private enum Deliberate {
        /// Collections Gantry always answers empty: it has no projects, no codebase objects (a codebase is a name in
        /// a source stamp) and records no test results. Only their collection key is compared.
        static let emptyCollections: Set<String> = ["projects", "codebases", "test_result_sets"]
        /// Keys Gantry adds to each item, by collection.
        static let extraKeys: [String: Set<String>] = [
            // A buildset names its scheduler and carries its properties, where Buildbot needs a second request.
            "buildsets": ["scheduler", "properties"],
            // A build request names the request it was collapsed into; Buildbot keeps no trace of a collapse.
            "buildrequests": ["collapsed_into"],
        ]
        /// Objects keyed by data rather than by the schema: property names, which depend on what ran and who
        /// forced it. Their keys are not compared, wherever they are (`/builds/{id}/properties` is one).
        static let dataKeyed: Set<String> = ["properties"]
    }

    /// The ids of what `populate` made, standing for those of the recorded Buildbot run.
    private struct Made {
        var master: Int
        var builder: Int
        var worker: Int
        var scheduler: Int
        var changeSource: Int
        var change: Int
        var sourceStamp: Int
        var changeBuild: Int
        var build: Int
        var buildNumber: Int
        var buildRequest: Int
        var buildset: Int
        var step: BuildStep
        var log: Int
    }

    /// The recorded Buildbot answers: `endpoints`, route → `{status, collection, keys, nested, ...}`.
    private static func recorded() throws -> [String: JSONValue] {
        let file = URL(filePath: #filePath).deletingLastPathComponent()
            .appending(path: "Fixtures/buildbot-4.3-api.json")
        let fixture = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: file))
        guard case .object(let endpoints)? = fixture["endpoints"] else { throw FixtureError("no endpoints") }
        return endpoints
    }

    private struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A force scheduler like the recorded one: a text, a list, a bool and an int parameter, and who forces.
    private static func force(_ db: Database) -> ForceScheduler {
        ForceScheduler(
            options: SchedulerOptions(name: "force", builderNames: ["runtests"]),
            parameters: [
                ForceParameter(name: "username", kind: .username, label: "Your name:"),
                ForceParameter(name: "greeting", kind: .string, label: "Greeting", defaultValue: "hi"),
                ForceParameter(
                    name: "flavor", kind: .choice(["plain", "spicy"]), label: "Flavor", defaultValue: "plain"),
                ForceParameter(name: "verbose", kind: .boolean, label: "Verbose", defaultValue: false),
                ForceParameter(name: "count", kind: .int, label: "Count", defaultValue: 1),
            ],
            context: SchedulerContext(database: db, clock: ContinuousClock(), logger: silentLogger))
    }

    /// What the recorded Buildbot run made: a master, builders `runtests` and `other`, a connected worker configured
    /// on both, a change source, two schedulers, a change built by one build, and a forced build with a step
    /// writing a log and a step adding a link.
    private func populate(_ db: Database, forcing base: URL) async throws -> Made {
        let master = try await db.masters.findMasterId("m1")
        let builder = try await db.builders.findBuilderId("runtests")
        let other = try await db.builders.findBuilderId("other")
        try await db.builders.updateBuilderList(master, builderids: [builder, other])
        try await db.builders.updateBuilderInfo(builder, description: "Runs the tests", tags: ["ci"])
        let worker = try await db.workers.findWorkerId("w1")
        try await db.workers.workerConfigured(worker, masterid: master, builderids: [builder, other])
        // What a buildbot-worker tells about itself.
        try await db.workers.workerConnected(
            worker, masterid: master,
            workerInfo: [
                "access_uri": .null, "admin": "Admin <admin@example.org>", "host": "a host", "version": "4.3.0",
            ])
        let changeSource = try await db.changeSources.findChangeSourceId("gitpoller")
        try await db.changeSources.setChangeSourceMaster(changeSource, masterid: master)
        let scheduler = try await db.schedulers.findSchedulerId("force")
        try await db.schedulers.setSchedulerMaster(scheduler, masterid: master)
        try await db.schedulers.setSchedulerMaster(try await db.schedulers.findSchedulerId("commits"), masterid: master)

        let change = try await db.changes.addChange(
            NewChange(
                author: "Bob <bob@example.org>", comments: "Fix the tests", files: ["a.txt", "src/b.c"],
                properties: ["ticket": "T-1"], revision: "0123456789abcdef", revlink: "https://example.org/c/0123",
                branch: "main", repository: "https://example.org/repo.git", project: "demo", category: "feature"))
        let sourceStamp = try #require(try await db.changes.getChange(change)).sourceStampID
        let (_, changeRequests) = try await db.buildsets.addBuildset(
            reason: "The SingleBranchScheduler scheduler named 'commits' triggered this build",
            builderids: [builder], sourceStampIDs: [sourceStamp], properties: ["scheduler": ["commits", "Scheduler"]])
        let changeRequest = try #require(changeRequests[builder])
        let changeBuild = try await start(db, changeRequest, on: builder, worker: worker, master: master)
        _ = try await db.builds.endBuild(
            changeBuild.id, results: .success, buildrequestid: changeRequest, masterid: master)

        let forced = try await httpPost(
            base, "/api/v2/forceschedulers/force",
            body: #"""
                {"jsonrpc": "2.0", "method": "force", "id": 1, "params": {"owner": "alice", "reason": "forced 1",
                 "greeting": "hello", "flavor": "spicy", "verbose": true, "count": 3}}
                """#)
        let buildset = try #require(forced["result", 0]?.integer, "\(forced.json)")
        let buildRequest = try #require(forced["result", 1, String(builder)]?.integer)
        let build = try await start(db, buildRequest, on: builder, worker: worker, master: master)
        let step = try await db.steps.addStep(buildid: build.id, name: "hello")
        try await db.steps.startStep(step.id)
        let log = try await db.logs.addLog(stepid: step.id, name: "stdio", kind: .stdio)
        try await db.logs.appendLog(log, "hecho hello\nohello\nhprogram finished with exit code 0\n")
        try await db.logs.finishLog(log)
        try await db.steps.finishStep(step.id, results: .success)
        let link = try await db.steps.addStep(buildid: build.id, name: "link")
        try await db.steps.startStep(link.id)
        try await db.steps.addStepURL(link.id, name: "docs", url: "https://example.org/docs")
        try await db.steps.finishStep(link.id, results: .success)
        try await db.builds.setBuildProperties(build.id, ["buildername": ["runtests", "Builder"]])
        _ = try await db.builds.endBuild(build.id, results: .success, buildrequestid: buildRequest, masterid: master)
        return Made(
            master: master, builder: builder, worker: worker, scheduler: scheduler, changeSource: changeSource,
            change: change, sourceStamp: sourceStamp, changeBuild: changeBuild.id, build: build.id,
            buildNumber: build.number, buildRequest: buildRequest, buildset: buildset, step: step, log: log)
    }

    /// Claims `request` for `master` and starts its build on `worker`.
    private func start(_ db: Database, _ request: Int, on builder: Int, worker: Int, master: Int) async throws
        -> (id: Int, number: Int)
    {
        try await db.buildRequests.claimBuildRequests([request], masterid: master)
        return try await db.builds.addBuild(
            builderid: builder, buildrequestid: request, workerid: worker, masterid: master)
    }

    /// The recorded route `template` (`/builders/{builderid}/builds/{number}`) with the ids of what Gantry made.
    private func path(_ template: String, _ made: Made) -> String {
        let segments = template.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var path: [String] = []
        for (index, segment) in segments.enumerated() {
            let parent = index > 0 ? segments[index - 1] : ""
            let id: Int? =
                switch segment {
                case "{id}":
                    [
                        "masters": made.master, "buildrequests": made.buildRequest, "buildsets": made.buildset,
                        "sourcestamps": made.sourceStamp, "workers": made.worker,
                    ][parent]
                // After `builds/` a build's number, after `steps/` a step's.
                case "{number}": parent == "builds" ? made.buildNumber : made.step.number
                // The recorded run asked for the changes of the build of its change.
                case "{buildid}": template == "/builds/{buildid}/changes" ? made.changeBuild : made.build
                case "{builderid}": made.builder
                case "{changeid}": made.change
                case "{logid}": made.log
                case "{stepid}": made.step.id
                default: nil
                }
            path.append(segment == "{name}" ? "force" : id.map(String.init) ?? segment)
        }
        return "/api/v2" + path.joined(separator: "/")
    }

    @Test("every recorded route answers with Buildbot's collection key and key sets", arguments: TestBackend.enabled)
    func keySets(_ backend: TestBackend) async throws {
        let recorded = try Self.recorded()
        try await withTestDatabase(backend) { db in
            try await withAPIServer(db, forceSchedulers: [Self.force(db)]) { base in
                let made = try await populate(db, forcing: base)
                for (route, expected) in recorded.sorted(by: { $0.key < $1.key }) {
                    let url = path(route, made)
                    if expected["collection"]?.string == nil {
                        try await compareText(base, url, expected)
                        continue
                    }
                    let answer = try await httpGet(base, url)
                    #expect(answer.status == expected["status"]?.integer, "\(url)")
                    compare(answer.json, expected, route: url)
                }
            }
        }
    }

    /// Compares a JSON answer with the recorded one: its collection key, its first item's keys and the keys of the
    /// objects nested in its items.
    private func compare(_ answer: JSONValue, _ expected: JSONValue, route: String) {
        guard case .object(let envelope) = answer, let key = envelope.keys.first(where: { $0 != "meta" }),
            let collection = expected["collection"]?.string
        else {
            Issue.record("\(route): no collection in \(answer)")
            return
        }
        #expect(key == collection, "\(route)")
        if Deliberate.emptyCollections.contains(collection) { return }
        let items = (envelope[key]?.elements ?? []).compactMap { item -> [String: JSONValue]? in
            if case .object(let object) = item { object } else { nil }
        }
        guard let first = items.first else {
            Issue.record("\(route): Gantry answered no items")
            return
        }
        if !Deliberate.dataKeyed.contains(collection) {
            let keys = Set(expected["keys"]?.elements.compactMap(\.string) ?? [])
            #expect(Set(first.keys) == keys.union(Deliberate.extraKeys[collection] ?? []), "\(route)")
        }
        let byType = route != "/api/v2/application.spec"
        var nested: [String: [String]] = [:]
        Self.nestedShapes(Self.merge(items), "", byType: byType, into: &nested)
        var recordedShapes: [String: [String]] = [:]
        if case .object(let shapes)? = expected["nested"] {
            for (path, keys) in shapes { recordedShapes[path] = keys.elements.compactMap(\.string) }
        }
        #expect(Self.schemaShapes(nested) == Self.schemaShapes(recordedShapes), "\(route)")
    }

    /// Compares a text answer (a raw log) with the recorded one: its status, its type, and whether it is a download.
    private func compareText(_ base: URL, _ path: String, _ expected: JSONValue) async throws {
        let url = try #require(URL(string: base.absoluteString + path))
        let (_, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == expected["status"]?.integer, "\(path)")
        #expect(http.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/plain") == true, "\(path)")
        let disposition = http.value(forHTTPHeaderField: "Content-Disposition")
        if expected["content_disposition"]?.string == nil {
            #expect(disposition == nil, "\(path) is shown, not downloaded")
        } else {
            #expect(disposition?.hasPrefix("attachment; filename=") == true, "\(path) is a download")
        }
    }

    /// `shapes` without the objects keyed by data (``Deliberate/dataKeyed``) and what is nested in them.
    private static func schemaShapes(_ shapes: [String: [String]]) -> [String: Set<String>] {
        var kept: [String: Set<String>] = [:]
        for (path, keys) in shapes {
            let names = path.split(separator: ".").map { name in name.prefix { $0 != "[" } }
            if names.contains(where: { Deliberate.dataKeyed.contains(String($0)) }) { continue }
            kept[path] = Set(keys)
        }
        return kept
    }

    /// One object standing for all of `items`, as the recorder makes it: nested objects merged, lists
    /// concatenated, a key's first value kept unless it is null or empty.
    private static func merge(_ items: [[String: JSONValue]]) -> [String: JSONValue] {
        var merged: [String: JSONValue] = [:]
        for item in items {
            for (key, value) in item {
                guard let current = merged[key], current != .null, current != [], current != [:] else {
                    merged[key] = value
                    continue
                }
                switch (current, value) {
                case (.object(let first), .object(let second)): merged[key] = .object(merge([first, second]))
                case (.array(let first), .array(let second)): merged[key] = .array(first + second)
                default: break
                }
            }
        }
        return merged
    }

    /// The keys of every object nested in `value`, by path, as the recorder lists them: `a.b` for an object,
    /// `a[]` for a list of objects (the union of their keys) and, with `byType`, `a[type=T]` for each `type` of
    /// the list's objects when they have more than one.
    private static func nestedShapes(
        _ value: [String: JSONValue], _ path: String, byType: Bool, into shapes: inout [String: [String]]
    ) {
        for (key, item) in value {
            let sub = path.isEmpty ? key : "\(path).\(key)"
            switch item {
            case .object(let object):
                shapes[sub] = object.keys.sorted()
                nestedShapes(object, sub, byType: byType, into: &shapes)
            case .array(let elements) where !elements.isEmpty:
                let objects = elements.compactMap { element -> [String: JSONValue]? in
                    if case .object(let object) = element { object } else { nil }
                }
                guard objects.count == elements.count else { continue }
                shapes[sub + "[]"] = Set(objects.flatMap(\.keys)).sorted()
                var kinds: [String: Set<String>] = [:]
                for object in objects where byType {
                    if case .string(let kind)? = object["type"] { kinds[kind, default: []].formUnion(object.keys) }
                }
                if kinds.count > 1 {
                    for (kind, keys) in kinds { shapes["\(sub)[type=\(kind)]"] = keys.sorted() }
                }
                nestedShapes(merge(objects), sub + "[]", byType: byType, into: &shapes)
            default:
                continue
            }
        }
    }

    @Test("every route /application.spec lists is served", arguments: TestBackend.enabled)
    func specRoutesServed(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await withAPIServer(db, forceSchedulers: [Self.force(db)]) { base in
                let made = try await populate(db, forcing: base)
                let values: [String: String] = [
                    ":builderid": "\(made.builder)", "n:builderid": "\(made.builder)", "s:buildername": "runtests",
                    "n:build_number": "\(made.buildNumber)", "n:buildrequestid": "\(made.buildRequest)",
                    "n:buildid": "\(made.build)", "i:step_name": made.step.name,
                    "n:step_number": "\(made.step.number)", "n:bsid": "\(made.buildset)",
                    "n:changeid": "\(made.change)", "n:changesourceid": "\(made.changeSource)",
                    "i:schedulername": "force", "n:logid": "\(made.log)", "n:masterid": "\(made.master)",
                    "n:schedulerid": "\(made.scheduler)", "n:ssid": "\(made.sourceStamp)",
                    "n:stepid": "\(made.step.id)", "i:name": "w1", "n:workerid": "\(made.worker)",
                ]
                let spec = try await httpGet(base, "/api/v2/application.spec")
                let paths = (spec["specs"]?.elements ?? []).compactMap { $0["path"]?.string }
                #expect(paths.count > 40 && paths == paths.sorted())
                for path in paths {
                    let filled = path.split(separator: "/").map { values[String($0)] ?? String($0) }
                    let url = "/api/v2/" + filled.joined(separator: "/")
                    #expect(try await httpGetText(base, url).status == 200, "\(path): \(url)")
                }
            }
        }
    }
}
