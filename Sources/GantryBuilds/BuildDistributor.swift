import Foundation
public import GantryModel
public import GantryStorage
public import GantryWorkers
public import Logging
import Synchronization

/// Starts builds: matches the pending requests of this master's builders with idle workers connected here.
///
/// Woken when requests are added (`buildrequests/new`), when a worker attaches or a build ends, and by a slow
/// poll. Requests are served by priority, then submission time. A request is claimed only when a worker is
/// free to run it, and the claim is exclusive in the database, so two masters never start the same request; a
/// claim lost to another master is simply skipped.
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

    let database: Database
    let masterID: Int
    let workers: WorkerManager
    let clock: any Clock<Duration>
    let poll: Duration
    let logger: Logger
    let runner: BuildRunner
    private var builders: [Int: Builder] = [:]
    private var busy: Set<String> = []
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
        logger: Logger
    ) {
        self.database = database
        self.masterID = masterID
        self.workers = workers
        self.clock = clock
        self.poll = poll
        self.logger = logger
        runner = BuildRunner(
            database: database, masterID: masterID, logger: logger, secrets: secrets, triggers: triggers)
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Serves `builders` from now on (at start and on reload), recording which workers each may use.
    public func configure(_ builders: [Builder]) async throws {
        self.builders = Dictionary(builders.map { ($0.id, $0) }) { first, _ in first }
        var builderIDs: [String: [Int]] = [:]
        for builder in builders {
            for worker in builder.workers { builderIDs[worker, default: []].append(builder.id) }
        }
        for (worker, ids) in builderIDs {
            let workerID = try await database.workers.findWorkerId(worker)
            try await database.workers.workerConfigured(workerID, masterid: masterID, builderids: ids)
        }
        wake.yield()
    }

    /// Distributes until cancelled; builds in progress are awaited (they end with their worker's connection).
    public func run() async {
        let notified = database.notifier.wakeups(for: [.buildrequestsNew], poll: poll, clock: clock)
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
    }

    /// Claims what can start now and returns it.
    private func assign() async -> [BuildRunner.Assignment] {
        let pending: [BuildRequest]
        do {
            pending = try await database.buildRequests.getBuildRequests(complete: false, claimed: .unclaimed)
        } catch {
            logger.warning("cannot read pending build requests", metadata: ["gantry.error": "\(error)"])
            return []
        }
        var jobs: [BuildRunner.Assignment] = []
        let ordered = pending.filter { builders[$0.builderID] != nil }.sorted {
            ($0.priority, $1.submittedAt, $1.id) > ($1.priority, $0.submittedAt, $0.id)
        }
        for request in ordered {
            guard let builder = builders[request.builderID] else { continue }
            var chosen: WorkerManager.AttachedWorker?
            for name in builder.workers where !busy.contains(name) {
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
            busy.insert(worker.link.name)
            var job = BuildRunner.Assignment(
                request: request, builderName: builder.name, workerID: worker.id, link: worker.link,
                info: worker.info, steps: builder.steps)
            job.properties = builder.properties
            jobs.append(job)
        }
        return jobs
    }

    private func build(_ job: BuildRunner.Assignment) async {
        do {
            try await runner.run(job)
        } catch {
            logger.error("build failed to run; its request is handed back", metadata: ["gantry.error": "\(error)"])
            try? await database.buildRequests.unclaimBuildRequests([job.request.id], masterid: masterID)
        }
        finished(job.link.name)
    }

    private func finished(_ worker: String) {
        busy.remove(worker)
        wake.yield()
    }
}
