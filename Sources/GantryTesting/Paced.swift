import Foundation
import Synchronization
public import Testing

/// Runs each test of a suite only while fewer than ``width`` paced tests run.
///
/// The testing library starts every test case of the run at once. On two cores a thousand cases that each open a
/// database and drive a master then all last a minute, and a case's wait for its own master, however generous,
/// measures the crowd rather than Gantry. Paced tests queue in the order they arrive instead, outside their time
/// limits, which start once a test has its place. The suites that start real masters are not paced: they run one
/// at a time beside the paced ones.
public struct PacedTrait: SuiteTrait, TestTrait, TestScoping {
    /// How many paced tests run at once: enough to keep the cores busy while most of them wait on a
    /// database, a socket or a clock.
    public static let width = max(4, 4 * ProcessInfo.processInfo.activeProcessorCount)

    public var isRecursive: Bool { true }

    /// A place is taken for a test function as a whole, around all its cases and their time limits.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite || testCase != nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard !Pace.isHeld else { return try await function() }
        await Pace.turnstile.enter()
        defer { Pace.turnstile.leave() }
        try await Pace.$isHeld.withValue(true) { try await function() }
    }
}

extension Trait where Self == PacedTrait {
    /// Queues the suite's tests behind the other paced ones; see ``PacedTrait``.
    public static var paced: Self { PacedTrait() }
}

private enum Pace {
    static let turnstile = Turnstile(width: PacedTrait.width)

    /// Whether the running task already holds a place (a paced suite nested in another).
    @TaskLocal static var isHeld = false
}

/// At most `width` holders at once; the others wait in the order they came.
private final class Turnstile: Sendable {
    private struct State {
        var inside = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let width: Int
    private let state = Mutex(State())

    init(width: Int) { self.width = width }

    func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state in
                guard state.inside < width else {
                    state.waiting.append(continuation)
                    return false
                }
                state.inside += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Hands the place to the longest waiter, if any.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.inside -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
