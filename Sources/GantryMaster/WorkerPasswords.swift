import Foundation
import GantryConfig
import GantryModel
import Synchronization

/// The configured workers' passwords, and random ones for pool workers (made once per name while the master
/// runs); a reload replaces them for connections made afterwards.
final class WorkerPasswords: Sendable {
    private let passwords: Mutex<[String: String]>

    init(_ workers: [WorkerConfig], pools: [PoolConfig] = []) {
        passwords = Mutex(Self.byName(workers))
        replace(with: workers, pools: pools)
    }

    func replace(with workers: [WorkerConfig], pools: [PoolConfig] = []) {
        passwords.withLock { current in
            var next = Self.byName(workers)
            for name in pools.flatMap(\.workerNames) where next[name] == nil {
                next[name] = current[name] ?? UUID().uuidString
            }
            current = next
        }
    }

    func password(of name: String) -> String? {
        passwords.withLock { $0[name] }
    }

    /// The pool workers' passwords.
    func passwords(of pools: [PoolConfig]) -> [String: String] {
        passwords.withLock { all in
            Dictionary(pools.flatMap(\.workerNames).compactMap { name in all[name].map { (name, $0) } }) { a, _ in a }
        }
    }

    private static func byName(_ workers: [WorkerConfig]) -> [String: String] {
        Dictionary(workers.map { ($0.name, $0.password) }) { first, _ in first }
    }
}

/// Each password prints as `****`, under its worker's name.
extension WorkerPasswords: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    var customMirror: Mirror {
        let names = passwords.withLock { $0.keys.sorted() }
        return Mirror(
            self, children: names.map { name -> Mirror.Child in (label: name, value: Redaction.mask) },
            displayStyle: .class)
    }

    var description: String { Redaction.describe(customMirror) }

    var debugDescription: String { description }
}
