public import Foundation
public import GantryModel
public import GantryStorage
public import GantryWorkers
public import Logging

/// Starts builds: matches the pending requests of this master's builders with eligible workers connected here,
/// and carries out what was asked of its builds and workers (stop, pause, graceful shutdown, kill).
///
/// The decisions, and this master's registry of workers, are a ``DistributorStateMachine``; the distributor
/// reads the database, tells the machine what happened, and carries out what it returns. It is also the
/// ``WorkerConnectionDelegate`` of the ``WorkerManager``: it records each worker's connection and its end.
///
/// Woken when requests are added (`buildrequests/new`), a build is asked to stop, a worker is controlled, a
/// worker attaches or a build ends, and by a slow poll. Requests are served by priority, then fairly across
/// builders (see `order(_:origins:)`), then submission time. Each round reads only the heads of the queues of the
/// builders that can start a build now (``DistributorStateMachine/openings``), so its cost does not grow with the
/// queue.
/// A request is claimed only when a worker can run it, and the claim is exclusive in the database, so two
/// masters never start the same request; a claim lost to another master is simply skipped. The same claim takes
/// the builder's pending requests that collapse with it (its `collapseRequests`), and the build runs the newest.
public actor BuildDistributor {
    /// A builder as the distributor serves it.
    public struct Builder: Sendable {
        public var id: Int
        public var name: String
        public var workers: [String]
        public var steps: [Step]
        /// Properties every build starts with (source "Builder").
        public var properties: [String: JSONValue]
        /// Which pending requests a build started here also completes. The configuration's default is
        /// Buildbot's (collapse); a builder made in code collapses only when asked.
        public var collapseRequests: CollapseRule
        /// The locks each build holds from before its first step to its end.
        public var locks: [LockAccess]

        public init(
            id: Int, name: String, workers: [String], steps: [Step], properties: [String: JSONValue] = [:],
            collapseRequests: CollapseRule = .never, locks: [LockAccess] = []
        ) {
            self.id = id
            self.name = name
            self.workers = workers
            self.steps = steps
            self.properties = properties
            self.collapseRequests = collapseRequests
            self.locks = locks
        }
    }

    typealias Machine = DistributorStateMachine<WorkerLink>

    let database: Database
    let masterID: Int
    let workers: WorkerManager
    let clock: any Clock<Duration>
    let poll: Duration
    let logger: Logger
    let runner: BuildRunner
    private var builders: [Int: Builder] = [:]
    /// This master's registry of workers, and the decisions taken on it.
    var machine = Machine()
    /// How to stop each build running here, by request id.
    private var buildControls: [Int: BuildControl] = [:]
    /// Builds claimed in this round, not yet started.
    private var claimedJobs: [BuildRunner.Assignment] = []
    /// Whether a claim of this round found its request taken by another master or took others with it: the
    /// heads read may be used up while workers are still free, so another round reads the next ones.
    private var headsUsedUp = false
    /// Each quarantine's timer; the token tells a timer that ran out from a later one of the same worker.
    private var quarantineTimers: [String: (token: Int, task: Task<Void, Never>)] = [:]
    private var timersStarted = 0
    /// The latest recording of the configured workers; the next one waits for it.
    private var recording: Task<Void, any Error>?
    /// Wakes ``run()`` for a round; wake-ups that arrive during a round count once.
    private let wake = WakeUpSignal()
    /// Whether the next round reads the workers' flags (which also show which are connected here) and the stop
    /// requests: after a control or stop notification, the slow poll, an attach or a re-registration. The other
    /// rounds (a request added, a build ended) skip both reads, whose cost grows with the workers connected.
    private var controlsStale = true

    public init(
        database: Database,
        masterID: Int,
        workers: WorkerManager,
        clock: any Clock<Duration>,
        poll: Duration = .seconds(10),
        secrets: SecretStore = SecretStore(),
        triggers: (any BuildTriggers)? = nil,
        basedir: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        logStorage: LogStorage = .database,
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
            basedir: basedir, clock: clock, logStorage: logStorage)
    }

    /// Serves `builders` from now on (at start and on reload), recording which workers each may use, and the
    /// workers' `maxBuilds` and `maxUses`. Afterwards each worker is configured on exactly its builders of this
    /// master, so a worker dropped from every builder, or from the configuration, is configured on none of them.
    public func configure(
        _ builders: [Builder], maxBuilds: [String: Int] = [:], maxUses: [String: Int] = [:]
    ) async throws {
        let actions = take(builders, maxBuilds: maxBuilds, maxUses: maxUses)
        try await recordConfiguration()
        await perform(actions)
    }

    /// Serves `builders` from the start without recording them yet: a master starting has no builder links
    /// before it joins the cluster, and its first check-in has them recorded (``reregister()``).
    public func prepare(_ builders: [Builder], maxBuilds: [String: Int] = [:], maxUses: [String: Int] = [:]) async {
        await perform(take(builders, maxBuilds: maxBuilds, maxUses: maxUses))
    }

    private func take(_ builders: [Builder], maxBuilds: [String: Int], maxUses: [String: Int]) -> [Machine.Action] {
        self.builders = Dictionary(builders.map { ($0.id, $0) }) { first, _ in first }
        return machine.configured(
            builders: self.builders.mapValues(\.workers), maxBuilds: maxBuilds, maxUses: maxUses)
    }

    /// Records the configured workers, and those attached here, again: a peer that expired this master (it was
    /// paused, or cut off) deleted their builder links and connections while the workers stayed connected.
    public func reregister() async throws {
        try await recordConfiguration()
        for worker in machine.attachedWorkers {
            // One whose connection ended meanwhile is not recorded again.
            guard machine.attached(worker.name)?.link === worker.link else { continue }
            try await database.workers.workerConnected(worker.id, masterid: masterID, workerInfo: worker.info.json)
        }
        // Once they are all recorded again: a round reading the flags before would not see them connected here.
        controlsStale = true
        wake.signal()
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
        // Every configured worker (each has its `maxBuilds`) gets its row, even one that serves no builder, as in
        // Buildbot: it is listed, and can be paused, before it ever connects.
        for worker in Set(builderIDs.keys).union(machine.maxBuilds.keys).sorted() {
            let workerID = try await database.workers.findWorkerId(worker)
            try await database.workers.workerConfigured(
                workerID, masterid: masterID, builderids: builderIDs[worker] ?? [])
        }
        // Buildbot's `workerConfigured(worker, master, [])` for the workers no longer configured here.
        for worker in try await database.workers.getWorkers(masterid: masterID) where builderIDs[worker.name] == nil {
            try await database.workers.workerConfigured(worker.id, masterid: masterID, builderids: [])
        }
    }

    /// Looks for requests now: a peer's expiry just handed back the requests it was building.
    public func wakeUp() {
        wake.signal()
    }

    /// The workers' flags or the stop requests may have changed: the next round reads them.
    func controlsChanged() {
        controlsStale = true
    }

    /// Distributes until cancelled; builds in progress are awaited (they end with their worker's connection).
    public func run() async {
        let requests = database.notifier.wakeups(for: [.buildrequestsNew], poll: poll, clock: clock)
        let controls = database.notifier.wakeups(for: [.buildsStop, .workersControl], poll: poll, clock: clock)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wake] in
                for await _ in requests { wake.signal() }
            }
            group.addTask { [wake] in
                for await _ in controls {
                    await self.controlsChanged()
                    wake.signal()
                }
            }
            wake.signal()
            while await wake.wait() {
                for job in await distribute() {
                    group.addTask { await self.build(job) }
                }
            }
            group.cancelAll()
        }
        for timer in quarantineTimers.values { timer.task.cancel() }
        quarantineTimers = [:]
    }

    /// One round: obeys control requests and stop requests, then claims what can start now and returns it.
    private func distribute() async -> [BuildRunner.Assignment] {
        let heads: BuildRequestsConnector.QueueHeads
        var openings: [Int: Int] = [:]
        do {
            if controlsStale {
                // Cleared first: a notification during the reads marks them stale again, for the next round.
                controlsStale = false
                let controls = try await database.workers.getWorkerControls(masterid: masterID)
                await perform(machine.controlsRead(controls))
                if !buildControls.isEmpty { try await stopRequested() }
            }
            // Only as deep as the builds that can start now: a long queue costs no more than a short one.
            openings = machine.openings
            heads = try await database.buildRequests.getQueueHeads(openings)
        } catch {
            logger.warning("cannot read pending build requests", metadata: [LogKey.error: "\(error)"])
            controlsStale = true
            return takeClaimedJobs()
        }
        headsUsedUp = false
        await perform(machine.pendingRead(Self.order(heads.requests, origins: heads.origins)))
        // A round that read as deep as it may, and started builds, may have left more that can start now.
        let readFull = openings.contains { builder, limit in
            limit >= Machine.roundLimit && heads.requests.count { $0.builderID == builder } >= limit
        }
        let jobs = takeClaimedJobs()
        if headsUsedUp || (readFull && !jobs.isEmpty), !machine.openings.isEmpty { wake.signal() }
        return jobs
    }

    private func takeClaimedJobs() -> [BuildRunner.Assignment] {
        defer { claimedJobs = [] }
        return claimedJobs
    }

    /// Carries out the machine's actions in order, with those the outcome of each claim leads to.
    func perform(_ actions: [Machine.Action]) async {
        var queue = actions
        var next = 0
        while next < queue.count {
            let action = queue[next]
            next += 1
            switch action {
            case .shutDown(let worker, let reason):
                await workers.shutDown(worker, reason: reason)
            case .clearKillRequest(let workerID):
                do {
                    try await database.workers.setWorkerKillRequested(workerID, false)
                } catch {
                    logger.warning(
                        "kill request obeyed but not cleared",
                        metadata: [LogKey.workerID: "\(workerID)", LogKey.error: "\(error)"])
                }
            case .claim(let request, let worker):
                let following = await claim(request, on: worker)
                queue += following
            case .startQuarantineTimer(let worker, let length):
                startQuarantineTimer(worker, length: length)
            case .cancelQuarantineTimer(let worker):
                quarantineTimers.removeValue(forKey: worker)?.task.cancel()
            case .wakeUp:
                wake.signal()
            }
        }
    }

    /// Claims `request` for `worker` in the database, with the requests its builder collapses into the build; a
    /// claim that holds queues the build, of the newest of them.
    private func claim(_ request: BuildRequest, on worker: Machine.Attached) async -> [Machine.Action] {
        // A reload dropped the builder meanwhile: the request is not this master's to start.
        guard let builder = builders[request.builderID] else { return machine.claimLost(request.id) }
        let taken: BuildRequestsConnector.Claim
        do {
            taken = try await database.buildRequests.claimBuildRequest(
                request.id, masterid: masterID, collapsing: builder.collapseRequests)
        } catch let error as GantryError where error.code == .alreadyClaimed {
            headsUsedUp = true
            return machine.claimLost(request.id)  // another master took it
        } catch {
            logger.warning(
                "claiming a build request failed; it stays pending",
                metadata: [LogKey.buildRequest: "\(request.id)", LogKey.error: "\(error)"])
            return machine.claimLost(request.id)
        }
        if !taken.merged.isEmpty {
            headsUsedUp = true
            logger.info(
                "build requests collapsed into one build",
                metadata: [
                    LogKey.buildRequest: "\(taken.built.id)", LogKey.builder: "\(builder.name)",
                    LogKey.collapsedRequests: "\(taken.merged)",
                ])
        }
        var job = BuildRunner.Assignment(
            request: taken.built, builderName: builder.name, workerID: worker.id, link: worker.link,
            info: worker.info, steps: builder.steps)
        job.properties = builder.properties
        job.locks = builder.locks
        buildControls[taken.built.id] = job.control
        claimedJobs.append(job)
        return machine.claimed(request.id, by: worker.name, building: taken.built.id, merged: Set(taken.merged))
    }

    /// Stops the builds running here that were asked to stop.
    private func stopRequested() async throws {
        for (requestID, reason) in try await database.builds.getStopRequests(masterid: masterID) {
            await buildControls[requestID]?.stop(reason: reason)
        }
    }

    private func build(_ job: BuildRunner.Assignment) async {
        var results: BuildResult?
        do {
            results = try await runner.run(job).results
        } catch {
            logger.error("build failed to run; its request is handed back", metadata: [LogKey.error: "\(error)"])
            do {
                try await database.buildRequests.unclaimBuildRequests([job.request.id], masterid: masterID)
            } catch {
                // The request stays claimed by this master until it stops or is expired, which hands it back.
                logger.error(
                    "handing the request back failed",
                    metadata: [LogKey.buildRequest: "\(job.request.id)", LogKey.error: "\(error)"])
            }
        }
        buildControls[job.request.id] = nil
        await perform(machine.buildFinished(job.request.id, results: results))
    }

    private func startQuarantineTimer(_ worker: String, length: Duration) {
        logger.warning(
            "worker in quarantine after a build ended EXCEPTION",
            metadata: [LogKey.worker: "\(worker)", LogKey.quarantine: "\(length)"])
        quarantineTimers[worker]?.task.cancel()
        timersStarted += 1
        let token = timersStarted
        let task = Task { [clock] in
            guard (try? await clock.sleep(for: length)) != nil else { return }
            await self.quarantineRanOut(worker, token: token)
        }
        quarantineTimers[worker] = (token, task)
    }

    private func quarantineRanOut(_ worker: String, token: Int) async {
        guard quarantineTimers[worker]?.token == token else { return }
        quarantineTimers[worker] = nil
        await perform(machine.quarantineEnded(worker))
    }
}
