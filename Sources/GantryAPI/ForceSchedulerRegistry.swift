public import GantryScheduling
import Synchronization

/// The force schedulers a master serves, replaced whole when the configuration is reloaded.
public final class ForceSchedulerRegistry: Sendable {
    private let schedulers: Mutex<[String: ForceScheduler]>

    public init(_ schedulers: [ForceScheduler] = []) {
        self.schedulers = Mutex(Self.byName(schedulers))
    }

    public func replace(with schedulers: [ForceScheduler]) {
        let named = Self.byName(schedulers)
        self.schedulers.withLock { $0 = named }
    }

    subscript(name: String) -> ForceScheduler? { schedulers.withLock { $0[name] } }

    /// By name.
    var all: [ForceScheduler] { schedulers.withLock { $0.values.sorted { $0.name < $1.name } } }

    private static func byName(_ schedulers: [ForceScheduler]) -> [String: ForceScheduler] {
        Dictionary(schedulers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
