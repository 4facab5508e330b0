public import Foundation

/// The source of "now" for anything that stores or compares wall-clock times.
///
/// Injected everywhere time matters, so tests set the time instead of sleeping.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that reads `read` for the current time.
    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    /// The system's real time.
    public static let system = WallClock { Date() }

    /// The current time.
    public func now() -> Date { read() }
}
