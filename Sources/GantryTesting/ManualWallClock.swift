public import Foundation
public import GantryModel
import Synchronization

/// A wall clock that only moves when a test moves it.
public final class ManualWallClock: Sendable {
    private let current: Mutex<Date>

    /// A clock standing at `start` (by default Buildbot's test time, 2012-09-30 02:26:32 UTC).
    public init(_ start: Date = Date(timeIntervalSince1970: 1_348_971_992)) {
        current = Mutex(start)
    }

    /// The time the clock shows.
    public var now: Date { current.withLock { $0 } }

    /// A `WallClock` reading this clock.
    public var clock: WallClock { WallClock { self.now } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
