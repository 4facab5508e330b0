import Foundation
public import GantryModel
public import GantryStorage
import GantryWire
public import GantryWorkers
public import Logging

/// Runs one build of a claimed request on one worker: the build, its steps and their logs are stored as they
/// happen, and the request is completed with the build's result.
///
/// A worker lost mid-build ends the running step and the build RETRY and hands the request back (unclaimed,
/// so any master runs it again at once) rather than completing it.
public struct BuildRunner: Sendable {
    let database: Database
    let masterID: Int
    let logger: Logger

    public init(database: Database, masterID: Int, logger: Logger) {
        self.database = database
        self.masterID = masterID
        self.logger = logger
    }

    /// Where and what to build.
    public struct Assignment: Sendable {
        public var request: BuildRequest
        public var builderName: String
        public var workerID: Int
        public var link: WorkerLink
        public var info: WorkerInfo
        public var steps: [ShellStep]
        /// Stops the build from outside.
        public var control = BuildControl()

        public init(
            request: BuildRequest, builderName: String, workerID: Int, link: WorkerLink, info: WorkerInfo,
            steps: [ShellStep]
        ) {
            self.request = request
            self.builderName = builderName
            self.workerID = workerID
            self.link = link
            self.info = info
            self.steps = steps
        }
    }

    /// Runs the build and returns its id and result.
    @discardableResult
    public func run(_ job: Assignment) async throws -> (buildID: Int, results: BuildResult) {
        let build = try await database.builds.addBuild(
            builderid: job.request.builderID, buildrequestid: job.request.id, workerid: job.workerID,
            masterid: masterID, stateString: "building")
        var results = BuildResult.success
        for step in job.steps {
            guard await job.control.stopReason == nil else { break }
            let outcome = try await run(step, of: job, buildID: build.id)
            results = results.worst(step.contribution(of: outcome))
            if outcome == .retry || (outcome == .failure && step.haltOnFailure) { break }
        }
        if await job.control.stopReason != nil, results != .retry { results = .cancelled }
        try await database.builds.finishBuild(build.id, results: results)
        if results == .retry {
            try await database.buildRequests.unclaimBuildRequests([job.request.id], masterid: masterID)
        } else {
            try await database.buildRequests.completeBuildRequests(
                [job.request.id], results: results, masterid: masterID)
        }
        logger.info(
            "build finished",
            metadata: [
                "gantry.build.id": "\(build.id)", "gantry.builder": "\(job.builderName)",
                "gantry.results": "\(results)",
            ])
        return (build.id, results)
    }

    /// Runs one step; its result.
    private func run(_ step: ShellStep, of job: Assignment, buildID: Int) async throws -> BuildResult {
        let stored = try await database.steps.addStep(buildid: buildID, name: step.name)
        try await database.steps.startStep(stored.id)
        let log = try await database.logs.addLog(stepid: stored.id, name: "stdio", kind: .stdio)
        let result: BuildResult
        do {
            let outcome = try await job.link.runCommand(
                "shell", args: arguments(step, job: job), builderName: job.builderName,
                onUpdate: { update in await append(update, to: log) },
                started: { await job.control.running($0, on: job.link) })
            await job.control.finished()
            if let reason = await job.control.stopReason {
                try await database.logs.appendLog(log, Self.lines("stopped: \(reason)\n", prefix: "h"))
                result = .cancelled
            } else if let failure = outcome.failure {
                try await database.logs.appendLog(log, Self.lines(failure, prefix: "h"))
                result = .exception
            } else {
                result = outcome.rc.map(step.result(rc:)) ?? .exception
            }
        } catch let error as WorkerLinkError {
            await job.control.finished()
            try await database.logs.appendLog(log, Self.lines("\(error)\n", prefix: "h"))
            switch error {
            case .connectionLost: result = .retry
            default: result = .exception
            }
        }
        try await database.logs.finishLog(log)
        try await database.steps.finishStep(stored.id, results: result)
        return result
    }

    /// The `shell` command's arguments: an absolute working directory under the worker's base directory.
    private func arguments(_ step: ShellStep, job: Assignment) -> MessagePackValue {
        let separator = job.info.system == "nt" ? "\\" : "/"
        let basedir = job.info.basedir ?? "."
        let workdir = [basedir, job.builderName, step.workdir].joined(separator: separator)
        var fields: [MessagePackValue.MapEntry] = [
            .init("workdir", .string(workdir)),
            .init(
                "command",
                {
                    switch step.command {
                    case .shell(let text): .string(text)
                    case .argv(let argv): .array(argv.map(MessagePackValue.string))
                    }
                }()),
            .init("env", .map(step.env.sorted { $0.key < $1.key }.map { .init(.string($0.key), .string($0.value)) })),
            .init("want_stdout", true), .init("want_stderr", true), .init("usePTY", false),
            .init("logEnviron", true),
        ]
        if let timeout = step.timeout { fields.append(.init("timeout", .int(Int64(timeout)))) }
        if let maxTime = step.maxTime { fields.append(.init("maxTime", .int(Int64(maxTime)))) }
        return .map(fields)
    }

    /// Stores the output lines of an update, each prefixed by its stream as Buildbot's stdio logs are.
    private func append(_ update: RemoteUpdate, to log: Int) async {
        let prefix: String
        switch update.key {
        case "stdout": prefix = "o"
        case "stderr": prefix = "e"
        case "header": prefix = "h"
        default: return
        }
        guard let text = update.text, !text.isEmpty else { return }
        do {
            try await database.logs.appendLog(log, Self.lines(text, prefix: prefix))
        } catch {
            logger.warning("log lines not stored", metadata: ["gantry.log.id": "\(log)", "gantry.error": "\(error)"])
        }
    }

    /// `text` as whole lines, each prefixed (a missing final newline is added).
    static func lines(_ text: String, prefix: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.map { prefix + $0 + "\n" }.joined()
    }
}
