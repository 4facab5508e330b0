public import Foundation
public import GantryModel
public import GantryStorage
public import GantryWorkers
public import Logging

/// Runs one build of a claimed request on one worker: the build, its properties, its steps and their logs are
/// stored as they happen, and the request is completed with the build's result.
///
/// A worker lost mid-build ends the running step and the build RETRY and hands the request back (unclaimed,
/// so any master runs it again at once) rather than completing it.
public struct BuildRunner: Sendable {
    let database: Database
    let masterID: Int
    let logger: Logger
    let secrets: SecretStore
    let triggers: (any BuildTriggers)?
    /// Where relative master-side paths of steps (`masterdest`, `mastersrc`) are taken from.
    let basedir: URL
    /// Takes the locks of this runner's builds and steps, in the order they ask.
    let lockWaiter: LockWaiter
    /// What the builds waiting for locks poll on, and logs write their lines on.
    let clock: any Clock<Duration>
    /// Where finished logs are kept: logs kept in the database are settled as their step ends when they can be.
    let logStorage: LogStorage

    /// - Parameter clock: What the builds waiting for locks poll on, and logs write their lines on.
    public init(
        database: Database, masterID: Int, logger: Logger, secrets: SecretStore = SecretStore(),
        triggers: (any BuildTriggers)? = nil,
        basedir: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        clock: any Clock<Duration> = ContinuousClock(), logStorage: LogStorage = .database
    ) {
        self.database = database
        self.masterID = masterID
        self.logger = logger
        self.secrets = secrets
        self.triggers = triggers
        self.basedir = basedir
        self.clock = clock
        self.logStorage = logStorage
        lockWaiter = LockWaiter(database: database, masterID: masterID, clock: clock, logger: logger)
    }

    /// Where and what to build.
    public struct Assignment: Sendable {
        public var request: BuildRequest
        public var builderName: String
        public var workerID: Int
        public var link: WorkerLink
        public var info: WorkerInfo
        public var steps: [Step]
        /// The builder's properties (source "Builder").
        public var properties: [String: JSONValue] = [:]
        /// The builder's locks, taken before the first step and held until the build ends.
        public var locks: [LockAccess] = []
        /// Stops the build from outside.
        public var control = BuildControl()

        public init(
            request: BuildRequest, builderName: String, workerID: Int, link: WorkerLink, info: WorkerInfo,
            steps: [Step]
        ) {
            self.request = request
            self.builderName = builderName
            self.workerID = workerID
            self.link = link
            self.info = info
            self.steps = steps
        }
    }

    /// Runs the build and returns its id and result. Once the build exists it always ends: an error while it
    /// runs ends it EXCEPTION, and its end is retried until the database takes it, so its request is never
    /// handed back while its result is unknown.
    @discardableResult
    public func run(_ job: Assignment) async throws -> (buildID: Int, results: BuildResult) {
        // What the build starts from is read before it exists: a failed read hands the request back unbuilt.
        let buildset = try await database.buildsets.getBuildset(job.request.buildsetID)
        let sourceStamps = try await database.sourceStamps.getSourceStamps(ids: buildset?.sourceStampIDs ?? [])
        let initial = { @Sendable (number: Int) in
            Self.initialProperties(
                of: number, job: job, buildset: buildset?.properties ?? [:], sourceStamps: sourceStamps)
        }
        let build = try await database.builds.addBuild(
            builderid: job.request.builderID, buildrequestid: job.request.id, workerid: job.workerID,
            masterid: masterID, stateString: "building", properties: initial)
        let properties = BuildProperties(database: database, buildID: build.id, stored: initial(build.number))
        var results: BuildResult
        do {
            results = try await runSteps(of: job, build: build, properties: properties, sourceStamps: sourceStamps)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.error(
                "build ended EXCEPTION", metadata: [LogKey.build: "\(build.id)", LogKey.error: "\(error)"])
            results = .exception
        }
        if await job.control.stopReason != nil, results != .retry { results = .cancelled }
        let ending = try await end(build.id, results: results, request: job.request.id)
        if ending == .alreadyEnded { results = .retry }
        if job.takesLocks { await lockWaiter.buildEnded() }
        logger.info(
            "build finished",
            metadata: [
                LogKey.build: "\(build.id)", LogKey.builder: "\(job.builderName)",
                LogKey.results: "\(results)",
            ])
        return (build.id, results)
    }

    /// Runs the steps in order until one ends the build; the build's result.
    private func runSteps(
        of job: Assignment, build: (id: Int, number: Int), properties: BuildProperties, sourceStamps: [SourceStamp]
    ) async throws -> BuildResult {
        // The builder's locks, before the first step: a build stopped while it waits for them runs none.
        do {
            if try await lockWaiter.acquire(
                job.locks, worker: job.link.name, buildID: build.id, control: job.control)
            {
                try await database.builds.setBuildStateString(build.id, "building")
            }
        } catch is LockWaiter.Stopped {
            return .cancelled
        }
        var results = BuildResult.success
        for step in job.steps {
            guard await job.control.stopReason == nil else { break }
            let outcome = try await run(
                step, of: job, buildID: build.id, properties: properties, sourceStamps: sourceStamps)
            results = results.worst(step.contribution(of: outcome))
            if Self.endsBuild(outcome) || (outcome == .failure && step.haltOnFailure) { break }
        }
        return results
    }

    /// As Buildbot's `computeResultAndTermination`: no step runs after one that ended EXCEPTION, RETRY or
    /// CANCELLED.
    static func endsBuild(_ outcome: BuildResult) -> Bool {
        outcome == .exception || outcome == .retry || outcome == .cancelled
    }

    /// Ends the build and its request in one transaction, trying again (1 s, doubling to 30 s) while the
    /// database fails: handing the request back instead could build it twice. Only cancellation (the master
    /// stopping, whose cleanup ends the build) or a claim this master no longer holds (the build alone then
    /// ends RETRY) stops the attempts.
    private func end(_ buildID: Int, results: BuildResult, request: Int) async throws -> BuildsConnector.Ending {
        var delay = Duration.seconds(1)
        while true {
            do {
                return try await database.builds.endBuild(
                    buildID, results: results, buildrequestid: request, masterid: masterID)
            } catch let error as GantryError where error.code == .conflict {
                // The request is not this master's any more: the build ends RETRY alone, its request untouched.
                logger.warning(
                    "build ends RETRY: its request is no longer claimed here",
                    metadata: [LogKey.build: "\(buildID)", LogKey.error: "\(error)"])
                try await endAlone(buildID)
                return .alreadyEnded
            } catch {
                logger.warning(
                    "could not store the end of a build; trying again",
                    metadata: [LogKey.build: "\(buildID)", LogKey.error: "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// Ends the build RETRY without its request, trying again while the database fails.
    private func endAlone(_ buildID: Int) async throws {
        var delay = Duration.seconds(1)
        while true {
            do {
                try await database.builds.setBuildStateString(buildID, "finished")
                try await database.builds.finishBuild(buildID, results: .retry)
                return
            } catch {
                logger.warning(
                    "could not store the end of a build; trying again",
                    metadata: [LogKey.build: "\(buildID)", LogKey.error: "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// Buildbot's order: the buildset's (scheduler) properties, the builder's, then the build's own and its
    /// source stamp's (one codebase) which win.
    static func initialProperties(
        of number: Int, job: Assignment, buildset: [String: JSONValue], sourceStamps: [SourceStamp]
    ) -> [String: JSONValue] {
        var properties = buildset
        for (name, value) in job.properties { properties[name] = [value, "Builder"] }
        let own: [String: JSONValue] = [
            "buildername": .string(job.builderName), "buildnumber": .number(Double(number)),
            "workername": .string(job.link.name),
        ]
        for (name, value) in own { properties[name] = [value, "Build"] }
        if sourceStamps.count == 1, let stamp = sourceStamps.first {
            let fields: [String: JSONValue] = [
                "branch": stamp.branch.map(JSONValue.string) ?? .null,
                "revision": stamp.revision.map(JSONValue.string) ?? .null,
                "repository": .string(stamp.repository), "codebase": .string(stamp.codebase),
                "project": .string(stamp.project),
            ]
            for (name, value) in fields { properties[name] = [value, "Build"] }
        }
        return properties
    }

    /// Runs one step; its result. As Buildbot's `startStep`: the step is added and started and its texts
    /// rendered; one whose `doStepIf` does not hold ends SKIPPED without running, one that runs shows its
    /// description and adds its links first. Its last state string says what it did; `hideStepIf` hides it.
    private func run(
        _ step: Step, of job: Assignment, buildID: Int, properties: BuildProperties, sourceStamps: [SourceStamp]
    ) async throws -> BuildResult {
        let interpolation = await StepRun.interpolation(
            properties: properties, sourceStamps: sourceStamps, secrets: secrets)
        let runs = step.doStepIf?.holds(for: interpolation.properties) ?? true
        // Rendered before the step is added, so that it starts showing it, added and started in one transaction.
        // A skipped step's texts never fail it: a secret or property only its run would have needed may be missing.
        let rendered: Result<StepDescription, Interpolation.Failure>
        do throws(Interpolation.Failure) {
            rendered = .success(try StepDescription(step, runs: runs, rendering: interpolation))
        } catch {
            rendered = runs ? .failure(error) : .success(StepDescription())
        }
        let description = (try? rendered.get()) ?? StepDescription()
        let (stored, logID) = try await database.steps.startStep(
            buildid: buildID, name: step.name, stateString: runs ? (try? rendered.get())?.running : nil, log: "stdio",
            kind: .stdio)
        let log = StdioLog(id: logID, database: database, logger: logger, clock: clock)
        let run = StepRun(
            job: job, buildID: buildID, log: log, properties: properties, sourceStamps: sourceStamps, runner: self)
        let result: BuildResult
        do {
            if case .failure(let failure) = rendered { throw failure }
            if runs {
                // Its locks before anything else, as Buildbot takes them; meanwhile it says what it waits for.
                if try await lockWaiter.acquire(
                    step.locks, worker: job.link.name, buildID: buildID, stepID: stored.id, control: job.control)
                {
                    try await database.steps.setStepStateString(stored.id, description.running)
                }
                try await addLinks(of: step, to: stored.id, rendering: interpolation, log: log)
                switch step.action {
                case .shellCommand(let command): result = try await run.shellCommand(command)
                case .setPropertyFromCommand(let command, let name):
                    result = try await run.setPropertyFromCommand(command, property: name)
                case .fileUpload(let upload): result = try await run.fileUpload(upload)
                case .fileDownload(let download): result = try await run.fileDownload(download)
                case .directoryUpload(let upload): result = try await run.directoryUpload(upload)
                case .git(let checkout): result = try await run.git(checkout)
                case .trigger(let trigger): result = try await run.trigger(trigger)
                }
            } else {
                result = .skipped
            }
        } catch is LockWaiter.Stopped {
            await log.append("cancelled while waiting for locks\n", prefix: "h")
            result = .cancelled
        } catch let failure as Interpolation.Failure {
            await log.append("\(failure)\n", prefix: "h")
            result = .exception
        } catch let error as GantryError {
            await log.append("\(error.message)\n", prefix: "h")
            result = .exception
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A database or file system error, say: the step still ends, and its log with it, so no one follows
            // it forever. Its text, which may name the master's paths and hosts, goes to the master's log only.
            logger.error(
                "step ended EXCEPTION",
                metadata: [LogKey.build: "\(buildID)", LogKey.error: "\(String(reflecting: error))"])
            await log.append("\(StepRun.shown(error))\n", prefix: "h")
            result = .exception
        }
        // A step whose output could not all be stored did not end as it reports: EXCEPTION, never a silent gap.
        let closed = await log.close()
        let outcome = closed.intact ? result : result.worst(.exception)
        do {
            try await database.steps.finishStep(
                stored.id, results: outcome, stateString: description.finished(outcome),
                hidden: step.hideStepIf.contains(outcome), logs: [log.id],
                lastLines: closed.lastLines.isEmpty ? [:] : [log.id: closed.lastLines], logStorage: logStorage)
        } catch {
            // The step stays open, but its last lines are kept: in a task of their own, which the build's
            // cancellation (the master stopping) does not reach.
            if !closed.lastLines.isEmpty {
                await Task { [database, id = log.id] in _ = try? await database.logs.appendLog(id, closed.lastLines) }
                    .value
            }
            throw error
        }
        await lockWaiter.release(step.locks, buildID: buildID, stepID: stored.id)
        return outcome
    }
}
