import Foundation
public import GantryModel
public import GantryStorage
public import Logging
public import ServiceLifecycle

/// The master's one reader of the `events` table, which every event-stream client (`/api/v2/events`) is served
/// from: however many clients there are, each wake-up costs one read of the database.
///
/// It tails the table (woken by `events` notifications, and every 250 ms in any case) while anyone follows the
/// feed, keeps the newest events in memory, and wakes the subscribers waiting in ``next(after:)``. With no one
/// following it reads nothing, so a master nobody watches pays nothing for the feed; the next subscriber starts
/// memory again at the newest event, and one whose cursor is older is served from the database. A subscriber whose cursor is older than memory
/// reaches is served from the database, and one whose cursor is older than what was trimmed there is told to
/// resync. It also trims the table: events older than the settings' retention, and beyond their count.
///
/// Run it in the master's service group before the HTTP server, so it stops after the server's streams have
/// ended; it ends on graceful shutdown.
public actor EventFeed: Service {
    /// What a subscriber gets next.
    public enum Batch: Sendable, Equatable {
        /// The next events after its cursor, oldest first; never empty.
        case events([FeedEvent])
        /// Events after its cursor are gone (trimmed), or its cursor names no event: it goes on from `newest`,
        /// having missed some.
        case resync(newest: Int)
    }

    /// The most events read from the database at once, by the tail and by a subscriber behind memory.
    static let readLimit = 1000
    /// How often the tail reads when no notification woke it.
    static let poll: Duration = .milliseconds(250)

    private let database: Database
    private let settings: EventFeedSettings
    private let clock: any Clock<Duration>
    private let logger: Logger
    private var window: EventFeedWindow
    /// Opened (and replaced) when the feed starts, reads new events or stops.
    private var changed = Latch()
    /// Opened (and replaced) whenever a read has caught up, for subscribers whose cursor is past the newest event.
    private var caughtUp = Latch()
    private var isStopped = false
    /// Whether the last read failed, so a database outage is logged once, not at every poll.
    private var isFailing = false
    /// Subscribers waiting for events now.
    private var waiting = 0
    /// Whether a subscriber asked since the tail last read: one between two questions (sending what it got) still
    /// follows the feed.
    private var asked = false
    /// The tail skipped reads for want of subscribers: memory is behind the table until a subscriber asks.
    private(set) var isBehind = false

    /// - Parameters:
    ///   - clock: What the poll and the trimming interval are measured on.
    public init(
        database: Database,
        settings: EventFeedSettings = EventFeedSettings(),
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger
    ) {
        self.database = database
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.window = EventFeedWindow(capacity: settings.inMemory, batchLimit: Self.readLimit)
    }

    /// Tails and trims the events until cancelled or shut down gracefully; subscribers still waiting then get
    /// `GantryError.stopped`.
    public func run() async throws {
        defer { stopped() }
        await cancelWhenGracefulShutdown { await self.tail() }
    }

    /// The id of the newest event, once the feed has started: where a subscriber without a cursor begins.
    /// - Throws: `CancellationError`, or `GantryError.stopped` once the feed has stopped.
    public func newest() async throws -> Int {
        await follow()
        while true {
            try checkRunning()
            if let newest = window.newest { return newest }
            await wait(for: changed)
        }
    }

    /// The next events after `cursor` (the id of the last event the subscriber has), waiting until there are some.
    /// - Throws: `CancellationError`, `GantryError.stopped` once the feed has stopped, or the database's error when
    ///   the events had to be read there.
    public func next(after cursor: Int) async throws -> Batch {
        await follow()
        let asked = window.round
        while true {
            try checkRunning()
            let wake: Latch
            switch window.serving(after: cursor, asked: asked) {
            case .events(let events):
                return .events(events)
            case .resync(let newest):
                return .resync(newest: newest)
            case .read:
                if let batch = try await readStored(after: cursor) { return batch }
                wake = changed
            case .wait:
                wake = (window.newest.map { cursor > $0 } ?? false) ? caughtUp : changed
            }
            await wait(for: wake)
        }
    }

    /// A subscriber asks: the tail reads for it, and first catches up if it skipped reads.
    private func follow() async {
        asked = true
        if isBehind { await catchUp() }
    }

    private func wait(for latch: Latch) async {
        waiting += 1
        await latch.waitUnlessCancelled()
        waiting -= 1
    }

    private func checkRunning() throws {
        try Task.checkCancellation()
        if isStopped { throw GantryError(.stopped, "the master's event feed stopped") }
    }

    /// The events after `cursor` from the database, for a subscriber older than memory reaches; nil when there are
    /// none.
    private func readStored(after cursor: Int) async throws -> Batch? {
        // Read with the events: a trim that ran before the read shows, so a gap it made is never served as if
        // nothing were missing. With no event after the cursor, what was trimmed is read on its own.
        let page = try await database.events.page(after: cursor, limit: Self.readLimit)
        if let trimmed = page.trimmedThrough {
            window.trimmed(through: trimmed)
        } else {
            window.trimmed(through: try await database.events.trimmedThrough())
        }
        if cursor < window.trimmedThrough, let newest = window.newest { return .resync(newest: newest) }
        return page.events.isEmpty ? nil : .events(page.events)
    }

    private func tail() async {
        let wakeups = database.notifier.wakeups(for: [.events], poll: Self.poll, clock: clock)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [clock, settings] in
                while (try? await clock.sleep(for: settings.trimInterval)) != nil { await self.trim() }
            }
            await catchUp()
            for await _ in wakeups {
                if waiting > 0 || asked {
                    asked = false
                    await catchUp()
                } else {
                    isBehind = true
                }
            }
            group.cancelAll()
        }
    }

    /// One round: reads the events after the newest until there are no more; at the start, or after reads were
    /// skipped, it first starts memory at the newest event.
    private func catchUp() async {
        window.roundStarted()
        do {
            if window.newest == nil || isBehind {
                isBehind = false
                let head = try await database.events.head()
                window.started(newest: head.newest, trimmedThrough: head.trimmedThrough)
                open(&changed)
            }
            while let head = window.newest {
                let page = try await database.events.page(after: head, limit: Self.readLimit)
                // Read with the events: a trim that deleted some of those after `head` is seen here.
                if let trimmed = page.trimmedThrough { window.skipped(through: trimmed) }
                window.read(page.events)
                if !page.events.isEmpty { open(&changed) }
                if page.events.count < Self.readLimit { break }
            }
            window.caughtUp()
            open(&caughtUp)
            if isFailing {
                isFailing = false
                logger.info("the event feed reads the database again")
            }
        } catch {
            guard !Task.isCancelled, !isFailing else { return }
            isFailing = true
            logger.warning(
                "the event feed cannot read the database; retrying at every poll",
                metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"])
        }
    }

    /// Deletes the events the settings no longer keep.
    private func trim() async {
        do {
            let cutoff = database.clock.now().addingTimeInterval(-settings.retention.timeInterval)
            let deleted = try await database.events.trim(olderThan: cutoff, keepingAtMost: settings.maxStored)
            let trimmed = try await database.events.trimmedThrough()
            window.trimmed(through: trimmed)
            if deleted > 0 { logger.debug("event feed trimmed", metadata: [LogKey.detail: "\(deleted) events"]) }
        } catch {
            guard !Task.isCancelled else { return }
            logger.warning(
                "the event feed could not trim old events; trying again later",
                metadata: [LogKey.error: "\(DatabaseFailure.reason(error))"])
        }
    }

    private func stopped() {
        isStopped = true
        open(&changed)
        open(&caughtUp)
    }

    /// Lets the subscribers waiting on `latch` through, and puts a new one in its place for the next waiters.
    private func open(_ latch: inout Latch) {
        let current = latch
        latch = Latch()
        current.open()
    }
}

/// The service group logs its services by description.
extension EventFeed: CustomStringConvertible {
    public nonisolated var description: String { "event feed" }
}
