import GantryTesting
import Testing

@testable import GantryAPI

/// The deadline for request heads, driven event by event without a channel.
@Suite("HTTP API: request head deadline", .paced)
struct RequestHeadDeadlineTests {
    enum Event {
        case opened, bytes, head, response, timer, closed
    }

    /// The actions for `events` in order, and the state after them.
    func run(_ events: [Event]) -> (actions: [RequestHeadDeadline.Action], state: RequestHeadDeadline.State) {
        var deadline = RequestHeadDeadline()
        let actions: [RequestHeadDeadline.Action] = events.map { event in
            switch event {
            case .opened: deadline.connectionOpened()
            case .bytes: deadline.bytesReceived()
            case .head: deadline.headReceived()
            case .response: deadline.responseSent()
            case .timer: deadline.timerFired()
            case .closed: deadline.connectionClosed()
            }
        }
        return (actions, deadline.state)
    }

    @Test("a connection has until its first head, counted once from when it opens")
    func firstHead() {
        let (actions, state) = run([.opened, .opened, .bytes, .head, .timer])
        #expect(actions == [.startTimer, .wait, .wait, .cancelTimer, .wait])
        #expect(state == .answering(requests: 1))
    }

    @Test("a silent or half-sent head is closed when the timer fires")
    func timeout() {
        #expect(run([.opened, .timer]).actions == [.startTimer, .close])
        let (actions, state) = run([.opened, .bytes, .bytes, .timer, .closed, .timer])
        #expect(actions == [.startTimer, .wait, .wait, .close, .wait, .wait])
        #expect(state == .closed)
    }

    @Test("between requests only the idle timeout applies; the next request's first byte starts the timer")
    func keepAlive() {
        let (actions, state) = run([.opened, .bytes, .head, .response, .timer, .bytes, .bytes, .timer])
        #expect(actions == [.startTimer, .wait, .cancelTimer, .wait, .wait, .startTimer, .wait, .close])
        #expect(state == .closed)
        #expect(run([.opened, .head, .response, .bytes, .head]).state == .answering(requests: 1))
    }

    @Test("pipelined requests: no timer until every head is answered")
    func pipelined() {
        let (actions, state) = run([.opened, .bytes, .head, .bytes, .head, .response, .timer])
        #expect(actions == [.startTimer, .wait, .cancelTimer, .wait, .wait, .wait, .wait])
        #expect(state == .answering(requests: 1))
        #expect(run([.opened, .head, .head, .response, .response]).state == .idle)
    }

    @Test("a refusal of a head that never parsed changes nothing; closing cancels a running timer")
    func refusalAndClose() {
        let (actions, state) = run([.opened, .bytes, .response, .closed, .bytes, .timer])
        #expect(actions == [.startTimer, .wait, .wait, .cancelTimer, .wait, .wait])
        #expect(state == .closed)
        #expect(run([.opened, .head, .closed]).actions == [.startTimer, .cancelTimer, .wait])
    }
}
