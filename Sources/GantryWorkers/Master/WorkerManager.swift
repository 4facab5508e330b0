import GantryModel
public import Logging

/// The workers connected to this master: each new link is arbitrated against a live one of the same name,
/// attached, reported to a ``WorkerConnectionDelegate``, watched with keepalives, and reported again when it goes.
/// The manager records nothing itself: the delegate does.
///
/// An attached link waits on nothing of its own: ``keepWatching()`` sends every link its keepalives, so an idle
/// connection costs its read and no task more.
public actor WorkerManager {
    let clock: any Clock<Duration>
    /// How often a worker must answer a keepalive.
    let keepalive: Duration
    /// How long a worker may take to answer a keepalive or a duplicate-connection ping.
    let answerWithin: Duration
    let logger: Logger
    /// The connection holding each worker name.
    private var links: [String: WorkerLink] = [:]
    /// The connection of each name the delegate last saw attach, until its end is reported; it may be one a
    /// newer connection replaced, while the newer one attaches.
    private var attached: [String: AttachedWorker] = [:]
    /// The latest report to the delegate of each name; the next one of that name waits for it.
    private var reports: [String: Task<Void, Never>] = [:]
    /// The attached links ``keepWatching()`` sends keepalives, each with the slice of the keepalive interval it
    /// is due in: links attached together are spread over the interval's slices in turn.
    private var watched: [ObjectIdentifier: (link: WorkerLink, slice: Int)] = [:]
    /// The slice new links go into.
    private var nextSlice = 0
    /// How many slices the keepalive interval is cut into.
    package static let slices = 8

    /// A worker connected here and attached: what builds need to run on it.
    public struct AttachedWorker: Sendable {
        public var id: Int
        public var link: WorkerLink
        public var info: WorkerInfo
    }

    public init(
        clock: any Clock<Duration>,
        keepalive: Duration,
        answerWithin: Duration = .seconds(10),
        logger: Logger
    ) {
        self.clock = clock
        self.keepalive = keepalive
        self.answerWithin = answerWithin
        self.logger = logger
    }

    /// Worker `name`, if it is connected and attached here (what tests observe; the master's registry of workers is
    /// its distributor's).
    package func worker(named name: String) -> AttachedWorker? { attached[name] }

    /// Shuts worker `name` down (Buildbot's remote `shutdown`: the worker process exits) and closes its
    /// connection; builds running on it end as their worker is lost.
    public func shutDown(_ name: String, reason: String) async {
        guard let link = links[name] else { return }
        logger.info("shutting worker down", metadata: [LogKey.worker: "\(name)", LogKey.reason: "\(reason)"])
        // The worker exits on `shutdown`, so an answer lost with its connection is the expected outcome.
        _ = try? await answer(link) { try await $0.request("shutdown") }
        await link.close(reason)
    }

    /// Arbitrates `link` against a connected worker of its name, attaches it and reports it to `delegate`, then
    /// returns; its keepalives come from ``keepWatching()``. The port cancels this when the connection ends, and
    /// then calls ``ended(_:delegate:)``.
    public func serve(_ link: WorkerLink, delegate: any WorkerConnectionDelegate) async {
        let name = link.name
        var logger = logger
        logger[metadataKey: LogKey.worker] = "\(name)"
        if let existing = links[name] {
            // Buildbot's arbitration: the first connection keeps the name while it still answers (any error, a
            // timeout included, means it does not).
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
        links[name] = link
        do {
            let info = try await link.attach()
            let workerID = try await report(name) {
                try await delegate.workerAttached(name: name, info: info, link: link)
            }
            // Kept even when a newer connection took the name meanwhile: the delegate saw this one attach, and
            // hears of its end unless the newer one attaches in its place.
            attached[name] = AttachedWorker(id: workerID, link: link, info: info)
            logger.info("worker connected", metadata: [LogKey.workerVersion: "\(info.version ?? "?")"])
            watched[ObjectIdentifier(link)] = (link, nextSlice)
            nextSlice = (nextSlice + 1) % Self.slices
        } catch {
            logger.warning("worker could not be attached", metadata: [LogKey.error: "\(error)"])
            await link.close("attaching failed")
        }
    }

    /// Sends each attached link a keepalive every `keepalive`, until cancelled. A link that does not answer
    /// within `answerWithin` is closed; its end then comes through ``ended(_:delegate:)``.
    public func keepWatching() async {
        await withDiscardingTaskGroup { group in
            var slice = 0
            while (try? await clock.sleep(for: keepalive / Self.slices)) != nil {
                slice = (slice + 1) % Self.slices
                for (link, due) in watched.values where due == slice {
                    group.addTask { await self.keepAlive(link) }
                }
            }
            group.cancelAll()
        }
    }

    private func keepAlive(_ link: WorkerLink) async {
        do {
            _ = try await answer(link) { try await $0.request("keepalive") }
        } catch {
            // A link already gone, or a master stopping, is no worker that failed to answer.
            guard watched[ObjectIdentifier(link)] != nil, !Task.isCancelled else { return }
            logger.warning(
                "keepalive unanswered; disconnecting the worker",
                metadata: [LogKey.worker: "\(link.name)", LogKey.error: "\(error)"])
            await link.close("keepalive unanswered")
        }
    }

    /// `link`'s connection is over. Unless a newer connection of the worker took the name, the worker is no
    /// longer connected here, and the delegate hears of the end of the connection it last saw attach: this one,
    /// or one this one replaced before failing to attach.
    public func ended(_ link: WorkerLink, delegate: any WorkerConnectionDelegate) async {
        watched[ObjectIdentifier(link)] = nil
        let name = link.name
        guard links[name] === link else { return }
        links[name] = nil
        guard let gone = attached.removeValue(forKey: name) else { return }
        var logger = logger
        logger[metadataKey: LogKey.worker] = "\(name)"
        do {
            try await report(name) {
                try await delegate.workerDetached(name: name, workerID: gone.id, link: gone.link)
            }
            logger.info("worker disconnected")
        } catch {
            logger.warning("worker's disconnection not recorded", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Runs `call` once the earlier reports of worker `name` returned, so the delegate learns of a worker's
    /// connections in the order they came and went. The call is not cancelled with the connection's task: a
    /// connection that ended is still reported.
    private func report<T: Sendable>(
        _ name: String,
        _ call: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let previous = reports[name]
        let reporting = Task {
            _ = await previous?.value
            return try await call()
        }
        let settled = Task { _ = await reporting.result }
        reports[name] = settled
        let result = await reporting.result
        if reports[name] == settled { reports[name] = nil }
        return try result.get()
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
