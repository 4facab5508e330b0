import GantryModel
public import GantryStorage

/// A build as the retention tests age and delete it: the one request of a buildset of its own (with a property),
/// claimed by master `m`, with a property and a step whose stdio log holds a few chunks of two lines each.
public struct BuildFixture: Sendable {
    public var master: Int
    public var buildset: Int
    public var request: Int
    public var build: Int
    public var step: Int
    public var log: Int
    /// Every line of the log, as ``LogsConnector/getLogLines(_:first:last:)`` reads them.
    public var lines: String
    /// The number of lines of the log.
    public var lineCount: Int

    /// Stores a build of builder `name` whose log has `chunks` chunks, at the database clock's time; it finishes
    /// SUCCESS, completing its request and buildset, unless `finished` is false.
    public static func make(_ db: Database, name: String, chunks: Int = 3, finished: Bool = true) async throws
        -> BuildFixture
    {
        let master = try await db.masters.findMasterId("m")
        try await db.masters.masterActive(master)
        let builder = try await db.builders.findBuilderId(name)
        let (buildset, requests) = try await db.buildsets.addBuildset(
            reason: name, builderids: [builder], properties: ["origin": ["test", "Scheduler"]])
        guard let request = requests[builder] else { throw FixtureError("no request for builder \(name)") }
        try await db.buildRequests.claimBuildRequests([request], masterid: master)
        let build = try await db.builds.addBuild(
            builderid: builder, buildrequestid: request, workerid: nil, masterid: master
        ).id
        try await db.builds.setBuildProperty(build, name: "got_revision", value: "abc", source: "Git")
        let step = try await db.steps.addStep(buildid: build, name: "compile").id
        let log = try await db.logs.addLog(stepid: step, name: "stdio", kind: .stdio)
        var lines = ""
        for chunk in 0..<chunks {
            let text = "line \(chunk)a\nline \(chunk)b\n"
            try await db.logs.appendLog(log, text)
            lines += text
        }
        try await db.steps.finishStep(step, results: .success)
        if finished {
            _ = try await db.builds.endBuild(build, results: .success, buildrequestid: request, masterid: master)
        }
        return BuildFixture(
            master: master, buildset: buildset, request: request, build: build, step: step, log: log, lines: lines,
            lineCount: 2 * chunks)
    }
}

/// A fixture that could not be made as the test asked.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
