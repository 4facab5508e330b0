import GantryModel
import Synchronization
import Testing

@Suite("Concurrency primitives", .timeLimit(.minutes(1)))
struct ConcurrencyPrimitivesTests {
    // MARK: - WakeUpSignal

    @Test("signals sent before the consumer waits count once")
    func coalescing() async {
        let signal = WakeUpSignal()
        for _ in 0..<3 { signal.signal() }
        #expect(await signal.wait())
        let woken = await ends(within: .milliseconds(50)) { _ = await signal.wait() }
        #expect(!woken)
        signal.signal()
        #expect(await signal.wait())
    }

    @Test("a signal wakes the consumer waiting for it")
    func wakesWaiter() async {
        let signal = WakeUpSignal()
        let consumer = Task { await signal.wait() }
        signal.signal()
        #expect(await consumer.value)
    }

    @Test("a cancelled consumer stops waiting, even when signalled, and the signal stays for the next wait")
    func signalCancellation() async {
        let signal = WakeUpSignal()
        let waiting = Task { await signal.wait() }
        waiting.cancel()
        #expect(await waiting.value == false)

        signal.signal()
        let cancelled = Task { () -> Bool in
            cancelCurrentTask()
            return await signal.wait()
        }
        #expect(await cancelled.value == false)
        #expect(await signal.wait())
    }

    // MARK: - Mailbox

    @Test("events come out in the order they were posted")
    func order() async {
        let mailbox = Mailbox<Int>()
        for event in 1...3 { mailbox.post(event) }
        #expect(await mailbox.next() == 1)
        #expect(await mailbox.next() == 2)
        #expect(await mailbox.next() == 3)
        let consumer = Task { await mailbox.next() }
        mailbox.post(4)
        #expect(await consumer.value == 4)
    }

    @Test("next() returns nil once the consumer is cancelled, even with events queued")
    func mailboxCancellation() async {
        let mailbox = Mailbox<Int>()
        let waiting = Task { await mailbox.next() }
        waiting.cancel()
        #expect(await waiting.value == nil)

        mailbox.post(1)
        let cancelled = Task { () -> Int? in
            cancelCurrentTask()
            return await mailbox.next()
        }
        #expect(await cancelled.value == nil)
        #expect(await mailbox.next() == 1)
    }

    @Test("a mailbox that ignores cancellation still hands a cancelled consumer its events")
    func ignoringCancellation() async {
        let mailbox = Mailbox<Int>(ignoringCancellation: true)
        mailbox.post(1)
        let consumer = Task { () -> [Int?] in
            cancelCurrentTask()
            let queued = await mailbox.next()
            let posted = await mailbox.next()
            return [queued, posted]
        }
        mailbox.post(2)
        #expect(await consumer.value == [1, 2])
    }

    @Test("closing drops the queued events and every later one, and ends the consumer's wait")
    func closing() async {
        let mailbox = Mailbox<Int>()
        let dropped = Seen()
        mailbox.post(1)
        mailbox.post(2)
        mailbox.close(dropping: { dropped.append($0) })
        mailbox.post(3)
        #expect(dropped.all == [1, 2, 3])
        #expect(await mailbox.next() == nil)

        let idle = Mailbox<Int>(ignoringCancellation: true)
        let consumer = Task { await idle.next() }
        idle.close(dropping: { dropped.append($0) })
        #expect(await consumer.value == nil)
    }

    // MARK: - Latch

    @Test("opening resumes every waiter once; later waiters pass at once")
    func latchOpens() async {
        let latch = Latch()
        let passed = Seen()
        await withTaskGroup(of: Void.self) { group in
            for waiter in 0..<4 {
                group.addTask {
                    await latch.wait()
                    passed.append(waiter)
                }
            }
            group.addTask {
                await latch.waitUnlessCancelled()
                passed.append(4)
            }
            latch.open()
            latch.open()
        }
        #expect(passed.all.sorted() == [0, 1, 2, 3, 4])
        await latch.wait()
        await latch.waitUnlessCancelled()
    }

    @Test("a cancelled waitUnlessCancelled() returns, and is not resumed again on opening")
    func latchCancellation() async {
        let latch = Latch()
        let opened = await ends(within: .milliseconds(50)) { await latch.waitUnlessCancelled() }
        #expect(!opened)
        latch.open()
        await latch.waitUnlessCancelled()
    }

    @Test("wait() goes on waiting when its task is cancelled")
    func latchIgnoresCancellation() async throws {
        let latch = Latch()
        let passed = Seen()
        let waiter = Task {
            await latch.wait()
            passed.append(0)
        }
        waiter.cancel()
        try await Task.sleep(for: .milliseconds(50))
        #expect(passed.all.isEmpty)
        latch.open()
        await waiter.value
        #expect(passed.all == [0])
    }

    // MARK: - Helpers

    /// Whether `operation` ends within `delay`; if not, it is cancelled and then awaited.
    private func ends(within delay: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await operation()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: delay)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
    }
}

/// Cancels the task that calls it, as a cancellation that came before what follows.
private func cancelCurrentTask() {
    withUnsafeCurrentTask { task in
        guard let task else { return }
        task.cancel()
    }
}

/// What a test saw, from any task, in order.
private final class Seen: Sendable {
    private let events = Mutex<[Int]>([])

    func append(_ event: Int) {
        events.withLock { events in events.append(event) }
    }

    var all: [Int] { events.withLock { events in events } }
}
