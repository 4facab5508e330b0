public import Foundation
public import GantryModel
public import GantryStorage
public import GantryWorkers
public import Logging

/// Starts builds: matches the pending requests of this master's builders with eligible workers connected here,
/// and carries out what was asked of its builds and workers (stop, pause, graceful shutdown, kill).
///
/// Woken when requests are added (`buildrequests/new`), a build is asked to stop, a worker is controlled, a
/// worker attaches or a build ends, and by a slow poll. Requests are served by priority, then fairly across
/// builders (see `order(_:)`), then submission time.
/// A request is claimed only when a worker can run it, and the claim is exclusive in the database, so two
/// masters never start the same request; a claim lost to another master is simply skipped.
///
/// A worker is eligible when it is not paused, not shutting down, not in quarantine and below its `maxBuilds`.
/// A build ending EXCEPTION puts its worker in quarantine for 10 s, doubling with each further one up to an
/// hour (Buildbot's numbers); any other finished build, or unpausing, ends it.
public actor BuildDistributor {
    /// A builder as the distributor serves it.
    public struct Builder: Sendable {
        public var id: Int
        public var name: String
        public var workers: [String]
        public var steps: [Step]
        /// Properties every build starts with (source "Builder").
        public var properties: [String: JSONValue]

        public init(
            id: Int, name: String, workers: [String], steps: [Step], properties: [String: JSONValue] = [:]
        ) {
            self.id = id
            self.name = name
            self.workers = workers
            self.steps = steps
            self.properties = properties
        }
    }

    /// Quarantine's first length and its cap.
    static let quarantineStart = Duration.seconds(10)
    static let quarantineCap = Duration.seconds(3600)

    let database: Database
    let masterID: Int
    let workers: WorkerManager
    let clock: any Clock<Duration>
    let poll: Duration
    let logger: Logger
    let runner: BuildRunner
    private var builders: [Int: Builder] = [:]
    /// Builds at once per worker; 1 for a worker not listed.
    private var maxBuilds: [String: Int] = [:]
    /// Running builds by request id.
    private var running: [Int: (worker: String, control: BuildControl)] = [:]
    /// The quarantine length a worker's next EXCEPTION gets, once it had one.
    private var quarantineLength: [String: Duration] = [:]
    private var quarantined: [String: Task<Void, Never>] = [:]
    private var pausedBefore: Set<String> = []
    /// The connection each worker was shut down on, left to end; a later connection (the worker reconnected)
    /// obeys a kill or graceful shutdown again.
    private var shuttingDown: [String: WorkerLink] = [:]
    /// The latest recording of the configured workers; the next one waits for it.
    private var recording: Task<Void, any Error>?
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>

    public init(
        database: Database,
        masterID: Int,
        workers: WorkerManager,
        clock: any Clock<Duration>,
        poll: Duration = .seconds(10),
        secrets: SecretStore = SecretStore(),
        triggers: (any BuildTriggers)? = nil,
        basedir: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        logger: Logger
    ) {
        self.database = database
        self.masterID = masterID
        self.workers = workers
        self.clock = clock
        self.poll = poll
        self.logger = logger
        runner = BuildRunner(
            database: database, masterID: masterID, logger: logger, secrets: secrets, triggers: triggers,
            basedir: basedir)
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Serves `builders` from now on (at start and on reload), recording which workers each may use, and the
    /// workers' `maxBuilds`. Afterwards each worker is configured on exactly its builders of this master, so a
    /// worker dropped from every builder, or from the configuration, is configured on none of them.
    public func configure(_ builders: [Builder], maxBuilds: [String: Int] = [:]) async throws {
        self.builders = Dictionary(builders.map { ($0.id, $0) }) { first, _ in first }
        self.maxBuilds = maxBuilds
        try await recordConfiguration()
    }

    /// Records the configured workers again: a peer that expired this master (it was paused, or cut off)
    /// deleted them with its builder links.
    public func reregister() async throws {
        try await recordConfiguration()
    }

    /// Records each worker's builders of this master as they are when the recording runs. Recordings run one
    /// at a time, in order: a reload and a re-registration after an expiry never interleave, so the last
    /// configuration is the one recorded.
    private func recordConfiguration() async throws {
        let previous = recording
        let next = Task {
            _ = await previous?.result
            try await self.recordCurrentConfiguration()
        }
        recording = next
        try await next.value
    }

    private func recordCurrentConfiguration() async throws {
        var builderIDs: [String: [Int]] = [:]
        for builder in builders.values.sorted(by: { $0.id < $1.id }) {
            for worker in builder.workers { builderIDs[worker, default: []].append(builder.id) }
        }
        for (worker, ids) in builderIDs.sorted(by: { $0.key < $1.key }) {
            let workerID = try await database.workers.findWorkerId(worker)
            try await database.workers.workerConfigured(workerID, masterid: masterID, builderids: ids)
        }
        // Buildbot's `workerConfigured(worker, master, [])` for the workers no longer configured here.
        for worker in try await database.workers.getWorkers(masterid: masterID) where builderIDs[worker.name] == nil {
            try await database.workers.workerConfigured(worker.id, masterid: masterID, builderids: [])
        }
        wake.yield()
    }

    /// Looks for requests now: a peer's expiry just handed back the requests it was building.
    public func wakeUp() {
        wake.yield()
    }

    /// Distributes until cancelled; builds in progress are awaited (they end with their worker's connection).
    public func run() async {
        let notified = database.notifier.wakeups(
            for: [.buildrequestsNew, .buildsStop, .workersControl], poll: poll, clock: clock)
        await workers.whenAttached { [wake] in wake.yield() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wake] in
                for await _ in notified { wake.yield() }
            }
            wake.yield()
            for await _ in wakeups {
                guard !Task.isCancelled else { break }
                for job in await assign() {
                    group.addTask { await self.build(job) }
                }
            }
            group.cancelAll()
        }
        for task in quarantined.values { task.cancel() }
    }

    /// Obeys control requests, then claims what can start now and returns it.
    private func assign() async -> [BuildRunner.Assignment] {
        let controls: [String: WorkerControl]
        let pending: [BuildRequest]
        let origins: [Int: BuildsetOrigin]
        do {
            controls = try await database.workers.getWorkerControls(masterid: masterID)
            try await obey(controls)
            if !running.isEmpty { try await stopRequested() }
            pending = try await database.buildRequests.getBuildRequests(
                builderids: Array(builders.keys), complete: false, claimed: .unclaimed)
            origins = pending.isEmpty ? [:] : try await database.buildsets.getBuildsetOrigins(pending.map(\.buildsetID))
        } catch {
            logger.warning("cannot read pending build requests", metadata: ["gantry.error": "\(error)"])
            return []
        }
        var jobs: [BuildRunner.Assignment] = []
        for request in Self.order(pending, origins: origins) {
            guard let builder = builders[request.builderID] else { continue }
            var chosen: WorkerManager.AttachedWorker?
            for name in builder.workers where controls[name]?.acceptsBuilds == true && isFree(name) {
                if let worker = await workers.worker(named: name) {
                    chosen = worker
                    break
                }
            }
            guard let worker = chosen else { continue }
            do {
                try await database.buildRequests.claimBuildRequests([request.id], masterid: masterID)
            } catch {
                continue  // another master took it
            }
            var job = BuildRunner.Assignment(
                request: request, builderName: builder.name, workerID: worker.id, link: worker.link,
                info: worker.info, steps: builder.steps)
            job.properties = builder.properties
            running[request.id] = (worker.link.name, job.control)
            jobs.append(job)
        }
        return jobs
    }

    /// Priority first; then the oldest request of each origin (scheduler and project) on each builder before any
    /// one's second, so neither a mass rebuild nor a builder with a long queue starves the rest; then submission
    /// time.
    package static func order(_ requests: [BuildRequest], origins: [Int: BuildsetOrigin] = [:]) -> [BuildRequest] {
        struct Queue: Hashable {
            var origin: BuildsetOrigin?
            var builderID: Int
        }
        let byAge = requests.sorted { ($0.submittedAt, $0.id) < ($1.submittedAt, $1.id) }
        var seen: [Queue: Int] = [:]
        let ranked = byAge.map { request -> (rank: Int, request: BuildRequest) in
            let queue = Queue(origin: origins[request.buildsetID], builderID: request.builderID)
            defer { seen[queue, default: 0] += 1 }
            return (seen[queue, default: 0], request)
        }
        return ranked.sorted {
            ($1.request.priority, $0.rank, $0.request.submittedAt, $0.request.id)
                < ($0.request.priority, $1.rank, $1.request.submittedAt, $1.request.id)
        }.map(\.request)
    }

    /// Not in quarantine and below its `maxBuilds`.
    private func isFree(_ worker: String) -> Bool {
        quarantined[worker] == nil && running.values.count { $0.worker == worker } < maxBuilds[worker, default: 1]
    }

    /// Kills, graceful shutdowns of idle workers, and the end of quarantine for unpaused ones.
    private func obey(_ controls: [String: WorkerControl]) async throws {
        for (name, control) in controls {
            if !control.paused, pausedBefore.contains(name) {
                quarantineLength[name] = nil
                endQuarantine(of: name)
            }
            guard control.killRequested || control.graceful,
                let worker = await workers.worker(named: name), shuttingDown[name] !== worker.link
            else { continue }
            if control.killRequested {
                shuttingDown[name] = worker.link
                await workers.shutDown(name, reason: "killed by request")
                try await database.workers.setWorkerKillRequested(worker.id, false)
            } else if !running.values.contains(where: { $0.worker == name }) {
                shuttingDown[name] = worker.link
                await workers.shutDown(name, reason: "graceful shutdown")
            }
        }
        pausedBefore = Set(controls.filter { $0.value.paused }.keys)
        shuttingDown = shuttingDown.filter { controls[$0.key] != nil }
    }

    /// Stops the builds running here that were asked to stop.
    private func stopRequested() async throws {
        for (requestID, reason) in try await database.builds.getStopRequests(masterid: masterID) {
            await running[requestID]?.control.stop(reason: reason)
        }
    }

    private func build(_ job: BuildRunner.Assignment) async {
        var results: BuildResult?
        do {
            results = try await runner.run(job).results
        } catch {
            logger.error("build failed to run; its request is handed back", metadata: ["gantry.error": "\(error)"])
            try? await database.buildRequests.unclaimBuildRequests([job.request.id], masterid: masterID)
        }
        finished(job, results: results)
    }

    private func finished(_ job: BuildRunner.Assignment, results: BuildResult?) {
        running[job.request.id] = nil
        let worker = job.link.name
        switch results {
        case .exception?: putInQuarantine(worker)
        case .retry?, nil: break
        default: quarantineLength[worker] = nil
        }
        wake.yield()
    }

    private func putInQuarantine(_ worker: String) {
        let length = quarantineLength[worker] ?? Self.quarantineStart
        quarantineLength[worker] = min(length * 2, Self.quarantineCap)
        quarantined[worker]?.cancel()
        logger.warning(
            "worker in quarantine after a build ended EXCEPTION",
            metadata: ["gantry.worker": "\(worker)", "gantry.quarantine": "\(length)"])
        quarantined[worker] = Task { [clock] in
            guard (try? await clock.sleep(for: length)) != nil else { return }
            self.endQuarantine(of: worker)
        }
    }

    private func endQuarantine(of worker: String) {
        guard let task = quarantined.removeValue(forKey: worker) else { return }
        task.cancel()
        wake.yield()
    }
}
