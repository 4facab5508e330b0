import GantryModel
public import GantryStorage
public import Logging

/// The workers connected to this master: each new link is arbitrated against a live one of the same name,
/// attached, recorded (`workerConnected`), watched with keepalives, and recorded again when it goes
/// (`workerDisconnected`).
public actor WorkerManager {
    let database: Database
    let masterID: Int
    let clock: any Clock<Duration>
    /// How often a worker must answer a keepalive.
    let keepalive: Duration
    /// How long a worker may take to answer a keepalive or a duplicate-connection ping.
    let answerWithin: Duration
    let logger: Logger
    private var links: [String: WorkerLink] = [:]
    private var attached: [String: AttachedWorker] = [:]

    /// A worker connected here and attached: what builds need to run on it.
    public struct AttachedWorker: Sendable {
        public var id: Int
        public var link: WorkerLink
        public var info: WorkerInfo
    }

    public init(
        database: Database,
        masterID: Int,
        clock: any Clock<Duration>,
        keepalive: Duration,
        answerWithin: Duration = .seconds(10),
        logger: Logger
    ) {
        self.database = database
        self.masterID = masterID
        self.clock = clock
        self.keepalive = keepalive
        self.answerWithin = answerWithin
        self.logger = logger
    }

    /// Worker `name`, if it is connected and attached here.
    public func worker(named name: String) -> AttachedWorker? { attached[name] }

    /// Shuts worker `name` down (Buildbot's remote `shutdown`: the worker process exits) and closes its
    /// connection; builds running on it end as their worker is lost.
    public func shutDown(_ name: String, reason: String) async {
        guard let link = links[name] else { return }
        logger.info("shutting worker down", metadata: ["gantry.worker": "\(name)", "gantry.reason": "\(reason)"])
        _ = try? await answer(link) { try await $0.request("shutdown") }
        await link.close(reason)
    }

    /// Records every attached worker as connected here again: a peer that expired this master deleted those
    /// records, while the workers stayed connected.
    public func reregister() async throws {
        for worker in attached.values.sorted(by: { $0.id < $1.id }) {
            try await database.workers.workerConnected(worker.id, masterid: masterID, workerInfo: worker.info.json)
        }
    }

    /// Told each time a worker attaches (so builds waiting for one can start).
    private var onAttach: @Sendable () -> Void = {}

    public func whenAttached(_ action: @escaping @Sendable () -> Void) {
        onAttach = action
    }

    /// Runs for as long as `link`'s connection lives (the port cancels it when the connection ends).
    public func serve(_ link: WorkerLink) async {
        var logger = logger
        logger[metadataKey: "gantry.worker"] = "\(link.name)"
        if let existing = links[link.name] {
            // Buildbot's arbitration: the first connection keeps the name while it still answers.
            let stillThere =
                (try? await answer(existing) {
                    try await $0.request("print", [.init("message", "master got a duplicate connection")])
                }) != nil
            if stillThere {
                logger.warning("duplicate connection refused; the connected worker answers")
                await link.close("a worker of this name is connected")
                return
            }
            logger.warning("the connected worker did not answer; the new connection replaces it")
            await existing.close("replaced by a new connection of the same worker")
        }
        links[link.name] = link
        defer {
            if links[link.name] === link {
                links[link.name] = nil
                attached[link.name] = nil
            }
        }
        do {
            let info = try await link.attach()
            let workerID = try await database.workers.findWorkerId(link.name)
            try await database.workers.workerConnected(workerID, masterid: masterID, workerInfo: info.json)
            logger.info("worker connected", metadata: ["gantry.worker.version": "\(info.version ?? "?")"])
            if links[link.name] === link {
                attached[link.name] = AttachedWorker(id: workerID, link: link, info: info)
                onAttach()
            }
            await watch(link, logger: logger)
            // The connection is gone: record it even though this task is being cancelled.
            try await Task { try await self.disconnected(link, workerID: workerID) }.value
            logger.info("worker disconnected")
        } catch {
            logger.warning("worker could not be attached", metadata: ["gantry.error": "\(error)"])
            await link.close("attaching failed")
        }
    }

    /// Keepalives until the connection ends or a keepalive goes unanswered.
    private func watch(_ link: WorkerLink, logger: Logger) async {
        while (try? await clock.sleep(for: keepalive)) != nil {
            do {
                _ = try await answer(link) { try await $0.request("keepalive") }
            } catch {
                logger.warning("keepalive unanswered; disconnecting the worker", metadata: ["gantry.error": "\(error)"])
                await link.close("keepalive unanswered")
                return
            }
        }
    }

    private func disconnected(_ link: WorkerLink, workerID: Int) async throws {
        // A newer connection of the same worker keeps it connected.
        guard links[link.name] == nil || links[link.name] === link else { return }
        try await database.workers.workerDisconnected(workerID, masterid: masterID)
    }

    /// The result of `request` on `link`, or ``WorkerLinkError/timedOut(_:)`` after `answerWithin`.
    private func answer<T: Sendable>(
        _ link: WorkerLink,
        _ request: @escaping @Sendable (WorkerLink) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await request(link) }
            group.addTask { [clock, answerWithin] in
                try await clock.sleep(for: answerWithin)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw WorkerLinkError.timedOut("within \(answerWithin)")
            }
            return value
        }
    }
}
