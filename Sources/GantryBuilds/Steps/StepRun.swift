import GantryModel
import GantryStorage
import GantryWorkers
import Logging

/// A step as it runs: its build's assignment, its log, the build's properties and how texts are rendered.
struct StepRun: Sendable {
    let job: BuildRunner.Assignment
    let buildID: Int
    let log: StdioLog
    let properties: BuildProperties
    let sourceStamps: [SourceStamp]
    /// The source stamps by codebase (the first of each), as interpolation and checkouts look them up.
    let codebases: [String: SourceStamp]
    let runner: BuildRunner

    init(
        job: BuildRunner.Assignment, buildID: Int, log: StdioLog, properties: BuildProperties,
        sourceStamps: [SourceStamp], runner: BuildRunner
    ) {
        self.job = job
        self.buildID = buildID
        self.log = log
        self.properties = properties
        self.sourceStamps = sourceStamps
        codebases = Self.codebases(sourceStamps)
        self.runner = runner
    }

    /// How a remote command ended.
    enum CommandEnd: Sendable, Equatable {
        /// It ran; its exit code.
        case exited(Int)
        /// The worker raised, refused it or sent no exit code; the text says why.
        case failed(String)
        /// The build was stopped while it ran.
        case stopped
        /// The worker's connection was lost.
        case lost
    }

    /// How texts are rendered now: with the build's properties, source stamps and secrets.
    func interpolation() async -> Interpolation {
        await Self.interpolation(properties: properties, codebases: codebases, secrets: runner.secrets)
    }

    /// How texts are rendered with the build's `properties`, `sourceStamps` and `secrets`, before a step runs.
    static func interpolation(properties: BuildProperties, sourceStamps: [SourceStamp], secrets: SecretStore) async
        -> Interpolation
    {
        await interpolation(properties: properties, codebases: codebases(sourceStamps), secrets: secrets)
    }

    private static func interpolation(
        properties: BuildProperties, codebases: [String: SourceStamp], secrets: SecretStore
    ) async -> Interpolation {
        Interpolation(properties: await properties.values, sourceStamps: codebases, secret: { secrets.value($0) })
    }

    /// The source stamps by codebase, the first of each.
    private static func codebases(_ sourceStamps: [SourceStamp]) -> [String: SourceStamp] {
        Dictionary(sourceStamps.map { ($0.codebase, $0) }) { first, _ in first }
    }

    /// Renders `text` with the build's properties, source stamps and secrets; secrets used are masked in the log.
    func render(_ text: String) async throws -> String {
        let rendered = try await interpolation().render(text)
        await log.mask(rendered.secrets)
        return rendered.text
    }

    /// The absolute worker path of `path` under the builder's directory.
    func workerPath(_ parts: String...) -> String {
        let separator = job.info.system == "nt" ? "\\" : "/"
        return ([job.info.basedir ?? ".", job.builderName] + parts).joined(separator: separator)
    }

    /// Runs `command` on the worker, its output going to the step's log.
    func execute(_ command: RemoteCommand, transfer: (any FileTransfer)? = nil) async throws -> CommandEnd {
        let control = job.control
        let log = log
        let link = job.link
        // A shell command tells the worker its timeout: silent for much longer, the worker has lost it.
        let watch: CommandGuard?
        if case .shell(let shell) = command, let timeout = shell.timeout {
            var logger = runner.logger
            logger[metadataKey: LogKey.build] = "\(buildID)"
            watch = CommandGuard(timeout: timeout, logger: logger)
        } else {
            watch = nil
        }
        do {
            let outcome = try await withThrowingTaskGroup(of: RemoteCommandOutcome?.self) { group in
                group.addTask {
                    try await link.runCommand(
                        command, builderName: job.builderName, transfer: transfer,
                        onUpdate: { update in
                            await watch?.heard()
                            switch update.output {
                            case .stdout(let text)?: await log.append(text, prefix: "o")
                            case .stderr(let text)?: await log.append(text, prefix: "e")
                            case .header(let text)?: await log.append(text, prefix: "h")
                            case nil: break
                            }
                        },
                        started: { id in
                            await watch?.started(id)
                            await control.running(id, on: link)
                        })
                }
                if let watch {
                    group.addTask {
                        await watch.run(link: link, log: log)
                        return nil
                    }
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let result { return result }
                }
                throw CancellationError()
            }
            await control.finished()
            await log.flush()
            if let reason = await control.stopReason {
                await log.append("stopped: \(reason)\n", prefix: "h")
                return .stopped
            }
            if let failure = outcome.failure {
                await log.append(failure, prefix: "h")
                return .failed(failure)
            }
            guard let rc = outcome.rc else { return .failed("the worker sent no exit code") }
            return .exited(rc)
        } catch let error as WorkerLinkError {
            await control.finished()
            await log.flush()
            await log.append("\(error)\n", prefix: "h")
            if case .connectionLost = error { return .lost }
            return .failed("\(error)")
        }
    }

    /// `error` as a step's log shows it: a `GantryError`'s message, or a plain "internal error" for any other,
    /// whose text may name the master's internals and goes to the master's log instead.
    static func shown(_ error: any Error) -> String {
        (error as? GantryError)?.message ?? "an internal error on the master; its log has the details"
    }

    /// The step result of a command's end, exit codes read by `decode`.
    static func result(of end: CommandEnd, decode: (Int) -> BuildResult = { $0 == 0 ? .success : .failure })
        -> BuildResult
    {
        switch end {
        case .exited(let rc): decode(rc)
        case .failed: .exception
        case .stopped: .cancelled
        case .lost: .retry
        }
    }
}
