import Foundation
import GantryBuilds
import GantryConfig
import GantryStorage
import GantryWorkers
import Logging
import ServiceLifecycle

/// Once the master has joined the cluster: opens the worker port, serves the workers that connect, and starts
/// builds of this master's builders on them (taking new builders and worker limits from each reload).
struct WorkersService: Service {
    let settings: WorkerPortConfig
    let passwords: WorkerPasswords
    let builders: [BuilderConfig]
    let workers: [WorkerConfig]
    /// Each reloaded configuration.
    let reloaded: AsyncStream<MasterConfig>
    let secrets: SecretsConfig
    /// The configuration's directory.
    let basedir: String
    let triggers: TriggerableSchedulers
    let database: Database
    /// Yields the master's id once it is registered.
    let masterID: AsyncStream<Int>
    let logger: Logger

    func run() async throws {
        var ids = masterID.makeAsyncIterator()
        guard let masterID = await ids.next() else { return }
        let clock = ContinuousClock()
        let manager = WorkerManager(
            database: database, masterID: masterID, clock: clock, keepalive: settings.keepalive, logger: logger)
        let distributor = BuildDistributor(
            database: database, masterID: masterID, workers: manager, clock: clock,
            secrets: SecretStore(directory: secrets.directory, environmentPrefix: secrets.environmentPrefix),
            triggers: triggers, basedir: URL(fileURLWithPath: basedir, isDirectory: true), logger: logger)
        try await distributor.configure(try await served(builders), maxBuilds: Self.maxBuilds(workers))
        let port = WorkerPort(
            host: settings.address.host, port: settings.address.port, logger: logger, password: passwords.password(of:))
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await port.run { link in await manager.serve(link) } }
                group.addTask { await distributor.run() }
                group.addTask {
                    for await next in reloaded {
                        do {
                            try await distributor.configure(
                                try await served(next.builders), maxBuilds: Self.maxBuilds(next.workers))
                        } catch {
                            logger.error("builders not reconfigured", metadata: ["gantry.error": "\(error)"])
                        }
                    }
                }
            }
        }
    }

    private static func maxBuilds(_ workers: [WorkerConfig]) -> [String: Int] {
        Dictionary(workers.map { ($0.name, $0.maxBuilds) }) { first, _ in first }
    }

    private func served(_ builders: [BuilderConfig]) async throws -> [BuildDistributor.Builder] {
        var served: [BuildDistributor.Builder] = []
        for builder in builders {
            served.append(
                BuildDistributor.Builder(
                    id: try await database.builders.findBuilderId(builder.name), name: builder.name,
                    workers: builder.workers, steps: builder.steps, properties: builder.properties))
        }
        return served
    }
}
