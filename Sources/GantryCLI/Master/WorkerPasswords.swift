import GantryConfig
import Synchronization

/// The configured workers' passwords; a reload replaces them for connections made afterwards.
final class WorkerPasswords: Sendable {
    private let passwords: Mutex<[String: String]>

    init(_ workers: [WorkerConfig]) {
        passwords = Mutex(Self.byName(workers))
    }

    func replace(with workers: [WorkerConfig]) {
        passwords.withLock { $0 = Self.byName(workers) }
    }

    func password(of name: String) -> String? {
        passwords.withLock { $0[name] }
    }

    private static func byName(_ workers: [WorkerConfig]) -> [String: String] {
        Dictionary(workers.map { ($0.name, $0.password) }) { first, _ in first }
    }
}
