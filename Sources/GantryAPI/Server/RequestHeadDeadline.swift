/// When an HTTP connection must have sent a request's head: from its start, and from the first byte of each
/// later request; never while a request is being answered. A client that sends part of a head and stops (a
/// slowloris) is closed at the deadline instead of holding its descriptor until the idle timeout.
///
/// Bytes that arrive while a request is being answered (a pipelined head, an unread body) start no deadline: they
/// are left to the idle timeout, since they cannot be told apart here.
struct RequestHeadDeadline {
    enum State: Equatable {
        case notStarted
        case awaitingHead
        /// Heads received and not yet answered.
        case answering(requests: Int)
        case idle
        case closed
    }

    enum Action: Equatable {
        case startTimer
        case cancelTimer
        case close
        /// Nothing to do.
        case wait
    }

    private(set) var state = State.notStarted

    mutating func connectionOpened() -> Action {
        switch state {
        case .notStarted:
            state = .awaitingHead
            return .startTimer
        case .awaitingHead, .answering, .idle, .closed:
            return .wait
        }
    }

    mutating func bytesReceived() -> Action {
        switch state {
        case .idle:
            state = .awaitingHead
            return .startTimer
        case .notStarted, .awaitingHead, .answering, .closed:
            return .wait
        }
    }

    mutating func headReceived() -> Action {
        switch state {
        case .awaitingHead:
            state = .answering(requests: 1)
            return .cancelTimer
        case .answering(let requests):
            state = .answering(requests: requests + 1)
            return .wait
        case .notStarted, .idle:
            state = .answering(requests: 1)
            return .wait
        case .closed:
            return .wait
        }
    }

    mutating func responseSent() -> Action {
        switch state {
        case .answering(let requests):
            state = requests > 1 ? .answering(requests: requests - 1) : .idle
            return .wait
        case .notStarted, .awaitingHead, .idle, .closed:
            // A refusal of a head that could not be parsed: the connection closes anyway.
            return .wait
        }
    }

    mutating func timerFired() -> Action {
        switch state {
        case .awaitingHead:
            state = .closed
            return .close
        case .notStarted, .answering, .idle, .closed:
            return .wait
        }
    }

    mutating func connectionClosed() -> Action {
        switch state {
        case .awaitingHead:
            state = .closed
            return .cancelTimer
        case .notStarted, .answering, .idle, .closed:
            state = .closed
            return .wait
        }
    }
}
