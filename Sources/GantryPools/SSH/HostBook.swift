package import GantryModel
import Synchronization

/// Where an `ssh` pool's next worker goes: the least loaded of the hosts that are up and below their capacity.
///
/// A host a start failed on is left alone for a while (5 s, doubling with each failure in a row up to 5 min); after
/// that, one start at a time tries it until one gets through. The book only decides, and is told the time, so tests
/// drive it with a clock of their own.
package struct HostBook<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// A worker's slot on a host, held from its start until it is stopped or its session ends.
    package struct Placement: Sendable, Hashable {
        package var host: SSHSettings.Host
        let id: Int
    }

    /// What the book knows of one host.
    private struct Entry: Sendable {
        var host: SSHSettings.Host
        /// The slots taken, by placement.
        var placed: Set<Int> = []
        /// The slots whose start has not got through yet.
        var unconfirmed: Set<Int> = []
        /// Failed starts in a row.
        var failures = 0
        var downUntil: Instant?
    }

    package static var firstBackoff: Duration { .seconds(5) }
    package static var maxBackoff: Duration { .seconds(300) }

    private var entries: [Entry]
    private var lastID = 0

    package init(hosts: [SSHSettings.Host]) {
        entries = hosts.map { Entry(host: $0) }
    }

    /// Takes `hosts` as the pool's hosts, in their order, keeping what it knew of those it had: a reload keeps the
    /// workers' slots and a failed host's wait.
    package mutating func configure(_ hosts: [SSHSettings.Host]) {
        entries = hosts.map { host in
            var entry = entries.first { $0.host.target == host.target } ?? Entry(host: host)
            entry.host = host
            return entry
        }
    }

    /// A slot on the host with the smallest share of its capacity taken (the first listed on a tie) among those
    /// that take a worker now; nil when none does.
    package mutating func place(at now: Instant) -> Placement? {
        var best: Int?
        for (index, entry) in entries.enumerated() where takes(entry, at: now) {
            if let chosen = best.map({ entries[$0] }),
                entry.placed.count * chosen.host.capacity >= chosen.placed.count * entry.host.capacity
            {
                continue
            }
            best = index
        }
        guard let best else { return nil }
        lastID += 1
        entries[best].placed.insert(lastID)
        entries[best].unconfirmed.insert(lastID)
        return Placement(host: entries[best].host, id: lastID)
    }

    private func takes(_ entry: Entry, at now: Instant) -> Bool {
        guard entry.placed.count < entry.host.capacity else { return false }
        if let downUntil = entry.downUntil, now < downUntil { return false }
        return entry.failures == 0 || entry.unconfirmed.isEmpty
    }

    /// The start holding `placement` got through: its host works.
    package mutating func reached(_ placement: Placement) {
        guard let index = index(of: placement.host) else { return }
        entries[index].unconfirmed.remove(placement.id)
        entries[index].failures = 0
        entries[index].downUntil = nil
    }

    /// A start failed on `host` (it could not be reached, or the worker could not be started there): it is left
    /// alone for ``backoff(afterFailures:)``.
    /// - Returns: How long.
    @discardableResult
    package mutating func failed(_ host: SSHSettings.Host, at now: Instant) -> Duration {
        guard let index = index(of: host) else { return .zero }
        entries[index].failures += 1
        let wait = Self.backoff(afterFailures: entries[index].failures)
        entries[index].downUntil = now.advanced(by: wait)
        return wait
    }

    /// Frees the slot; freeing it again does nothing.
    package mutating func release(_ placement: Placement) {
        guard let index = index(of: placement.host) else { return }
        entries[index].placed.remove(placement.id)
        entries[index].unconfirmed.remove(placement.id)
    }

    /// How long a host is left alone after `failures` failed starts in a row.
    package static func backoff(afterFailures failures: Int) -> Duration {
        var wait = firstBackoff
        for _ in 1..<max(failures, 1) where wait < maxBackoff { wait *= 2 }
        return min(wait, maxBackoff)
    }

    /// Why no host takes a worker at `now`, host by host, for the pool's event log.
    package func whyFull(at now: Instant) -> String {
        let hosts = entries.map { entry in
            let load = "\(entry.host.target) runs \(entry.placed.count) of \(entry.host.capacity)"
            if let until = entry.downUntil, now < until {
                let seconds = Int((now.duration(to: until) / .seconds(1)).rounded(.up))
                return load + ", failed, tried again in \(seconds) s"
            }
            return entry.failures > 0 && !entry.unconfirmed.isEmpty ? load + ", failed, being tried" : load
        }
        return "every host is full or down: " + hosts.joined(separator: "; ")
    }

    private func index(of host: SSHSettings.Host) -> Int? {
        entries.firstIndex { $0.host.target == host.target }
    }
}

extension SSHSettings.Host {
    /// `address:port`, with an IPv6 address in brackets: how the book, the logs and instance ids name the host.
    package var target: String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// The host books of a master's `ssh` pools, by pool name. The pool manager makes a provisioner for each start,
/// and the slots and waits must outlive it (and a reload), so whoever makes the provisioners holds one of these
/// for the master's lifetime and hands it to each.
public final class SSHHostBooks: Sendable {
    private let books = Mutex<[String: HostBook<ContinuousClock.Instant>]>([:])

    public init() {}

    /// Runs `body` on `pool`'s book, made empty if the pool has none yet.
    func update<Result: Sendable>(
        _ pool: String, _ body: (inout HostBook<ContinuousClock.Instant>) -> Result
    ) -> Result {
        books.withLock { body(&$0[pool, default: HostBook(hosts: [])]) }
    }
}
