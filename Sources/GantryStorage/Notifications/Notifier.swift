import GantryModel
import Logging
import Synchronization

/// Wakes the consumers of a topic (the build-request distributor, schedulers consuming changes) when another
/// part of the cluster has written something for them.
///
/// A notification is a hint, never the data: consumers read the database when woken, and every consumer also
/// wakes on its own slow poll, so a notification that is lost (a master died between commit and notify, the
/// listening connection dropped) only delays. Within one process posting wakes the consumers directly; on
/// PostgreSQL it is also sent with NOTIFY to every master listening on the same schema.
public final class Notifier: Sendable {
    private let subscribers = Mutex<[Int: Subscriber]>([:])
    private let nextID = Atomic<Int>(0)
    private let listening = Atomic<Bool>(false)
    private let send: @Sendable (NotificationTopic) async throws -> Void
    private let logger: Logger

    private struct Subscriber {
        var topics: Set<NotificationTopic>
        var continuation: AsyncStream<Void>.Continuation
    }

    /// - Parameter send: Carries a posted topic to the other processes (NOTIFY); nothing for SQLite.
    init(logger: Logger, send: @escaping @Sendable (NotificationTopic) async throws -> Void = { _ in }) {
        self.logger = logger
        self.send = send
    }

    /// Announces `topic` here and to the rest of the cluster. Never throws: a failure is logged, and the
    /// consumers' polls cover it.
    public func post(_ topic: NotificationTopic) async {
        deliver(topic)
        do {
            try await send(topic)
        } catch {
            logger.debug(
                "notification not sent; consumers will poll",
                metadata: [LogKey.topic: "\(topic)", LogKey.error: "\(DatabaseFailure.reason(error))"])
        }
    }

    /// A stream that yields whenever one of `topics` is posted, and at least every `poll` on `clock` in any
    /// case. Wake-ups that arrive while the consumer is busy are coalesced into one. The stream ends when the
    /// consuming task is cancelled.
    public func wakeups(
        for topics: Set<NotificationTopic>,
        poll: Duration,
        clock: any Clock<Duration>
    ) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = nextID.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = Subscriber(topics: topics, continuation: continuation) }
        // The poll is its own task because the stream is consumed elsewhere; it ends with the stream.
        let poller = Task {
            while (try? await clock.sleep(for: poll)) != nil {
                continuation.yield()
            }
        }
        continuation.onTermination = { [weak self] _ in
            poller.cancel()
            self?.subscribers.withLock { _ = $0.removeValue(forKey: id) }
        }
        return stream
    }

    /// Whether notifications from other processes currently arrive (PostgreSQL's LISTEN is running).
    package var isListening: Bool { listening.load(ordering: .acquiring) }

    func setListening(_ value: Bool) {
        listening.store(value, ordering: .releasing)
    }

    /// Wakes the consumers of `topic`; `nil` wakes every consumer (after a gap in listening, when anything
    /// may have been missed).
    func deliver(_ topic: NotificationTopic?) {
        let woken = subscribers.withLock { subscribers in
            subscribers.values.filter { topic.map($0.topics.contains) ?? true }.map(\.continuation)
        }
        for continuation in woken { continuation.yield() }
    }
}
