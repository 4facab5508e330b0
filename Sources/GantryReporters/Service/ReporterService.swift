import Foundation
public import GantryCluster
public import GantryModel
public import GantryStorage
public import Logging
import Metrics

/// Runs one reporter as a clustered service: while this master holds its claim, it turns the event feed into
/// stored reports and sends them.
///
/// Reading and sending are separate so neither is lost: the reports an event calls for are stored in the same
/// transaction that moves the reporter's cursor past the event, and a report leaves the outbox only once the
/// target has answered. A report sent but not recorded (its master died, or the database failed just then) is
/// still pending and is sent again: only idempotent targets are sent reports that way (at most the ``inFlight``
/// sent together); a mail caught in flight is marked interrupted instead.
public final class ReporterService: ClusteredServiceBehavior {
    public var kind: ServiceKind { .reporter }
    public var name: String { reporter.config.name }

    let reporter: any Reporter
    private let database: Database
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let poll: Duration

    /// The most events read, and reports sent, per round.
    static let batch = 200
    /// How many reports of an idempotent reporter are sent at once.
    static let inFlight = 8
    /// How long one round sends before the feed is read again, in seconds.
    static let sendingRound: TimeInterval = 1
    /// How long settled reports stay in the outbox for the reporters page and the API.
    static let keep: TimeInterval = 7 * 24 * 3600
    /// How often settled reports older than ``keep`` are deleted.
    static let cleanEvery: TimeInterval = 3600

    /// - Parameter poll: How often the feed and the outbox are looked at when nothing woke the service.
    public init(
        reporter: any Reporter, database: Database, clock: any Clock<Duration>, logger: Logger,
        poll: Duration = .milliseconds(250)
    ) {
        self.reporter = reporter
        self.database = database
        self.clock = clock
        self.poll = poll
        var logger = logger
        logger[metadataKey: LogKey.reporter] = "\(reporter.config.name)"
        self.logger = logger
    }

    public func runWhileActive(fence: ClaimFence) async {
        var round = Round(fence: fence, perMinute: reporter.config.maxPerMinute)
        for await _ in database.notifier.wakeups(for: [.events], poll: poll, clock: clock) {
            do {
                try await recover(&round)
                try await read(&round)
                try await send(&round)
                try await clean(&round)
                if round.isFailing {
                    round.isFailing = false
                    logger.info("the reporter reaches the database again")
                }
            } catch let error as GantryError where error.code == .fenced {
                // The claim is gone: the heartbeat deactivates the service; nothing more is written meanwhile.
                logger.warning(
                    "the reporter's claim is no longer current; it stops", metadata: [LogKey.error: "\(error)"])
                return
            } catch {
                if Task.isCancelled { return }
                // Whatever was written, the cursor is read again: a commit whose answer was lost moved it.
                round.cursor = nil
                if !round.isFailing {
                    round.isFailing = true
                    logger.error("the reporter failed a round; retrying", metadata: [LogKey.error: "\(error)"])
                }
            }
        }
    }

    /// Once per claim, before anything is sent: a mail the previous holder was sending is marked interrupted, as
    /// whether it arrived is unknown. (Idempotent reports are never marked sending: still pending, they are sent
    /// again.)
    private func recover(_ round: inout Round) async throws {
        guard !round.recovered else { return }
        if !reporter.isIdempotent {
            let interrupted = try await database.reporters.recoverInterrupted(round.fence)
            if interrupted > 0 {
                logger.error(
                    "reports the previous holder was sending are marked interrupted, not sent again",
                    metadata: [LogKey.detail: "\(interrupted) reports"])
            }
        }
        round.recovered = true
    }

    /// What the loop keeps between rounds.
    private struct Round {
        let fence: ClaimFence
        /// The id of the last event read; nil until read from the database.
        var cursor: Int?
        var limiter: RateLimiter
        /// Set when the target asked to wait (a rate limit's `Retry-After`): nothing is sent before then.
        var pausedUntil: Date?
        /// Whether what a previous holder left in flight has been settled.
        var recovered = false
        var isFailing = false
        /// When settled reports were last deleted.
        var cleanedAt: Date?

        init(fence: ClaimFence, perMinute: Int?) {
            self.fence = fence
            self.limiter = RateLimiter(perMinute: perMinute)
        }
    }

    // MARK: - Events in, reports stored

    /// Reads the events after the cursor and stores the reports they call for, a batch per transaction, until
    /// it has caught up.
    private func read(_ round: inout Round) async throws {
        var cursor: Int
        if let known = round.cursor {
            cursor = known
        } else {
            cursor = try await database.reporters.cursor(round.fence)
        }
        while true {
            let trimmed = try await database.events.trimmedThrough()
            if cursor < trimmed {
                // The feed no longer has what the reporter had not read: the reporter was stopped for longer than
                // the feed keeps events. Said loudly, counted, and skipped.
                logger.error(
                    "events the reporter had not read were trimmed from the feed; their reports are lost",
                    metadata: [LogKey.detail: "events \(cursor + 1)...\(trimmed)"])
                Counter(label: "gantry_reporter_events_missed_total", dimensions: [("reporter", name)])
                    .increment(by: Int64(trimmed - cursor))
                try await database.reporters.enqueue([], fence: round.fence, from: cursor, to: trimmed, now: now)
                cursor = trimmed
            }
            let events = try await database.events.events(after: cursor, limit: Self.batch)
            guard let last = events.last else { break }
            let reports = try await reports(for: events)
            try await database.reporters.enqueue(reports, fence: round.fence, from: cursor, to: last.id, now: now)
            cursor = last.id
            round.cursor = cursor
            if events.count < Self.batch { break }
        }
        round.cursor = cursor
    }

    /// The reports `events` call for, in event order.
    private func reports(for events: [FeedEvent]) async throws -> [QueuedReport] {
        let subjects = try await database.reporters.subjects(for: events, details: reporter.needsDetails)
        let recorded = Dictionary(events.map { ($0.id, $0.at) }, uniquingKeysWith: { first, _ in first })
        var queued: [QueuedReport] = []
        for subject in subjects where reporter.config.filter.matches(subject) {
            for (index, report) in reporter.reports(for: subject).enumerated() {
                queued.append(
                    QueuedReport(
                        eventID: subject.eventID, index: index, target: report.target, payload: report.payload,
                        eventAt: recorded[subject.eventID] ?? now))
            }
        }
        return queued
    }

    // MARK: - Reports out

    /// Sends the reports that are due, oldest first, for at most ``sendingRound`` so that reading the feed never
    /// waits long behind a backlog; a report that a newer one for the same target follows is dropped unsent, since
    /// the newer replaces it. An idempotent reporter's reports go ``inFlight`` at a time (their targets all
    /// differ); a mail reporter's one at a time, each marked sending first.
    private func send(_ round: inout Round) async throws {
        if let pausedUntil = round.pausedUntil, now < pausedUntil { return }
        round.pausedUntil = nil
        let superseded = try await database.reporters.supersedeStale(round.fence)
        if superseded > 0 { count("superseded", by: superseded) }
        let started = now
        let due = try await database.reporters.due(round.fence.serviceID, now: started, limit: Self.batch)
        let width = reporter.isIdempotent ? Self.inFlight : 1
        for first in stride(from: 0, to: due.count, by: width) {
            let wave = due[first..<min(first + width, due.count)]
            for (delivery, outcome) in try await send(wave, &round) {
                try await record(outcome, of: delivery, &round)
            }
            if Task.isCancelled || round.pausedUntil != nil || now.timeIntervalSince(started) > Self.sendingRound {
                return
            }
        }
    }

    /// Sends `wave` at once, each when the rate limit lets it go; the outcome of each that was sent.
    private func send(_ wave: ArraySlice<Delivery>, _ round: inout Round) async throws -> [(Delivery, DeliveryOutcome)]
    {
        try await withThrowingTaskGroup(of: (Delivery, DeliveryOutcome).self) { group in
            for delivery in wave {
                let wait = round.limiter.wait(at: now)
                if wait > .zero {
                    guard (try? await clock.sleep(for: wait)) != nil else { break }
                }
                round.limiter.took(at: now)
                if !reporter.isIdempotent { try await database.reporters.markSending(delivery.id, fence: round.fence) }
                group.addTask { [reporter] in
                    (delivery, await reporter.deliver(delivery.payload, deliveryID: delivery.id))
                }
            }
            var outcomes: [(Delivery, DeliveryOutcome)] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    /// Records how sending `delivery` went: delivered, due again after the backoff, or given up. A target that
    /// said how long to wait (a rate limit) pauses the whole reporter that long, not only this report.
    private func record(_ outcome: DeliveryOutcome, of delivery: Delivery, _ round: inout Round) async throws {
        let fence = round.fence
        let attempt = delivery.attempts + 1
        let policy = RetryPolicy(maxAttempts: reporter.config.maxAttempts)
        let metadata: Logger.Metadata = [LogKey.target: "\(delivery.target)", LogKey.attempt: "\(attempt)"]
        switch outcome {
        case .delivered(let status):
            try await database.reporters.markDelivered(delivery.id, status: status, at: now, fence: fence)
            count("delivered")
            Timer(label: "gantry_reporter_delivery_latency_seconds", dimensions: [("reporter", name)])
                .recordSeconds(max(0, now.timeIntervalSince(delivery.eventAt)))
        case .retry(let reason, let asked):
            switch policy.decision(afterAttempt: attempt, asked: asked) {
            case .retry(let after):
                if asked != nil { round.pausedUntil = now.addingTimeInterval(after.timeInterval) }
                try await database.reporters.markRetry(
                    delivery.id, error: reason, next: now.addingTimeInterval(after.timeInterval), fence: fence)
                count("retried")
                logger.warning(
                    "report not delivered; trying again later",
                    metadata: metadata.merging([LogKey.error: "\(reason)", LogKey.detail: "in \(after)"]) { $1 })
            case .giveUp:
                try await database.reporters.markFailed(delivery.id, error: reason, at: now, fence: fence)
                count("failed")
                logger.error(
                    "report given up after its last attempt",
                    metadata: metadata.merging([LogKey.error: "\(reason)"]) { $1 })
            }
        case .failed(let reason):
            try await database.reporters.markFailed(delivery.id, error: reason, at: now, fence: fence)
            count("failed")
            logger.error(
                "report refused; not tried again", metadata: metadata.merging([LogKey.error: "\(reason)"]) { $1 })
        }
    }

    /// Deletes the settled reports older than ``keep``, once every ``cleanEvery``.
    private func clean(_ round: inout Round) async throws {
        if let cleanedAt = round.cleanedAt, now.timeIntervalSince(cleanedAt) < Self.cleanEvery { return }
        try await database.reporters.deleteFinished(olderThan: now.addingTimeInterval(-Self.keep))
        round.cleanedAt = now
    }

    private var now: Date { database.clock.now() }

    private func count(_ outcome: String, by amount: Int = 1) {
        Counter(label: "gantry_reporter_deliveries_total", dimensions: [("reporter", name), ("outcome", outcome)])
            .increment(by: Int64(amount))
    }
}

/// The service group and the logs name the reporter.
extension ReporterService: CustomStringConvertible {
    public var description: String { "reporter \(name)" }
}
