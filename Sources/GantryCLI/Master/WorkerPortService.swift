import GantryConfig
import GantryStorage
import GantryWorkers
import Logging
import ServiceLifecycle
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

/// Opens the worker port once the master has joined the cluster, and serves the workers that connect.
struct WorkerPortService: Service {
    let settings: WorkerPortConfig
    let passwords: WorkerPasswords
    let database: Database
    /// Yields the master's id once it is registered.
    let masterID: AsyncStream<Int>
    let logger: Logger

    func run() async throws {
        var ids = masterID.makeAsyncIterator()
        guard let masterID = await ids.next() else { return }
        let manager = WorkerManager(
            database: database, masterID: masterID, clock: ContinuousClock(), keepalive: settings.keepalive,
            logger: logger)
        let port = WorkerPort(
            host: settings.address.host, port: settings.address.port, logger: logger, password: passwords.password(of:))
        try await cancelWhenGracefulShutdown {
            try await port.run { link in await manager.serve(link) }
        }
    }
}
