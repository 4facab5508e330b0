import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryAPI

@Suite("The event feed's window: what a subscriber at a cursor is served", .paced)
struct EventFeedWindowTests {
    private func event(_ id: Int) -> FeedEvent {
        FeedEvent(
            id: id, key: "builds/\(id)/new", payload: ["buildid": .number(Double(id))],
            at: Date(timeIntervalSince1970: 0))
    }

    private func events(_ ids: some Sequence<Int>) -> [FeedEvent] {
        ids.map(event)
    }

    /// A window started at `newest`, having read `read`.
    private func makeWindow(
        capacity: Int = 10, batchLimit: Int = 100, newest: Int = 10, trimmedThrough: Int = 0, read: [Int] = []
    ) -> EventFeedWindow {
        var window = EventFeedWindow(capacity: capacity, batchLimit: batchLimit)
        window.roundStarted()
        window.started(newest: newest, trimmedThrough: trimmedThrough)
        window.read(events(read))
        window.caughtUp()
        return window
    }

    @Test("before the feed starts, every subscriber waits")
    func beforeStart() {
        var window = EventFeedWindow(capacity: 10, batchLimit: 100)
        #expect(window.newest == nil && window.serving(after: 0, asked: 0) == .wait)
        window.read(events(1...3))
        #expect(window.newest == nil, "nothing is read before the feed knows where the events end")
    }

    @Test("started again after skipped reads: memory starts at the newest, an older cursor reads the database")
    func restarted() {
        var window = makeWindow(newest: 10, read: [11, 12])
        window.started(newest: 12, trimmedThrough: 0)
        #expect(window.serving(after: 10, asked: 1) == .events(events(11...12)), "nothing newer: memory stays")
        window.started(newest: 20, trimmedThrough: 5)
        #expect(window.newest == 20 && window.trimmedThrough == 5)
        #expect(window.serving(after: 12, asked: 1) == .read, "skipped while no one followed")
        #expect(window.serving(after: 4, asked: 1) == .resync(newest: 20))
        window.read(events(21...22))
        #expect(window.serving(after: 20, asked: 1) == .events(events(21...22)))
    }

    @Test("events trimmed before the feed read them: cursors in the gap resync, later ones are served")
    func gapAfterTrim() {
        var window = makeWindow(newest: 10, read: [11, 12])
        window.roundStarted()
        window.skipped(through: 30)
        window.read(events([25, 31, 32]))
        window.caughtUp()
        #expect(window.serving(after: 12, asked: window.round) == .resync(newest: 32))
        #expect(window.serving(after: 20, asked: window.round) == .resync(newest: 32))
        #expect(window.serving(after: 30, asked: window.round) == .events(events([31, 32])))
        window.skipped(through: 5)
        #expect(
            window.serving(after: 31, asked: window.round) == .events(events([32])), "an older trim changes nothing")
    }

    @Test("a cursor in memory gets the events after it, a batch at a time; one at the newest waits")
    func fromMemory() {
        let window = makeWindow(batchLimit: 2, read: [11, 12, 14, 20])
        #expect(window.newest == 20)
        #expect(window.serving(after: 10, asked: 1) == .events(events([11, 12])))
        #expect(window.serving(after: 11, asked: 1) == .events(events([12, 14])))
        #expect(window.serving(after: 13, asked: 1) == .events(events([14, 20])))
        #expect(window.serving(after: 14, asked: 1) == .events(events([20])))
        #expect(window.serving(after: 20, asked: 1) == .wait)
    }

    @Test("events not after the newest are not read twice")
    func duplicates() {
        let window = makeWindow(read: [11, 11, 9, 10, 12])
        #expect(window.serving(after: 10, asked: 1) == .events(events([11, 12])))
    }

    @Test("memory keeps the newest events; an older cursor is read from the database, or resyncs once trimmed")
    func olderThanMemory() {
        var window = makeWindow(capacity: 3, newest: 10, trimmedThrough: 4, read: Array(11...15))
        #expect(window.serving(after: 12, asked: 1) == .events(events(13...15)))
        #expect(window.serving(after: 11, asked: 1) == .read)
        #expect(window.serving(after: 4, asked: 1) == .read, "nothing after 4 was trimmed")
        #expect(window.serving(after: 3, asked: 1) == .resync(newest: 15))
        window.trimmed(through: 11)
        #expect(window.serving(after: 10, asked: 1) == .resync(newest: 15))
        #expect(window.serving(after: 11, asked: 1) == .read)
        window.trimmed(through: 2)
        #expect(window.trimmedThrough == 11, "what was trimmed stays trimmed")
    }

    @Test("events from before the feed started are read from the database")
    func beforeTheFeed() {
        let window = makeWindow(newest: 10)
        #expect(window.serving(after: 5, asked: 1) == .read)
        #expect(window.serving(after: 0, asked: 1) == .read)
        #expect(window.serving(after: 10, asked: 1) == .wait)
    }

    @Test("trimmed events still in memory are served from it: the subscriber misses nothing")
    func trimmedButHeld() {
        var window = makeWindow(capacity: 5, read: Array(11...13))
        window.trimmed(through: 12)
        #expect(window.serving(after: 10, asked: 1) == .events(events(11...13)))
    }

    @Test("a cursor past every event waits for a read begun after the question, then resyncs unless it reached it")
    func pastTheNewest() {
        var window = EventFeedWindow(capacity: 10, batchLimit: 100)
        window.roundStarted()
        window.started(newest: 10, trimmedThrough: 0)
        let asked = window.round
        #expect(window.serving(after: 12, asked: asked) == .wait)
        window.caughtUp()
        #expect(window.serving(after: 12, asked: asked) == .wait, "that read began before the question")
        window.roundStarted()
        window.read(events([11]))
        #expect(window.serving(after: 12, asked: asked) == .wait)
        window.caughtUp()
        #expect(window.serving(after: 12, asked: asked) == .resync(newest: 11))

        var reached = window
        reached.roundStarted()
        reached.read(events(12...13))
        reached.caughtUp()
        #expect(reached.serving(after: 12, asked: asked) == .events(events([13])))
    }

    @Test("a long run of reads keeps exactly the newest events, in order")
    func manyReads() {
        var window = makeWindow(capacity: 5, newest: 0)
        for id in 1...1000 { window.read(events([id])) }
        #expect(window.serving(after: 995, asked: 1) == .events(events(996...1000)))
        #expect(window.serving(after: 994, asked: 1) == .read)
    }
}
