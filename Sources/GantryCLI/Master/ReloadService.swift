import GantryAPI
import GantryCluster
import GantryConfig
import GantryScheduling
import GantryStorage
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP. A configuration with any error is refused whole and the running one
/// stays; otherwise builders (with their workers and steps), schedulers, force schedulers and worker passwords
/// take the new configuration, and keys that only take effect at start (name, database, http, change hooks,
/// cluster timings, the worker port) are reported as needing a restart.
struct ReloadService: Service {
    let configPath: String
    let running: MasterConfig
    let database: Database
    let lifecycle: MasterLifecycle
    let factory: SchedulerFactory
    let forceSchedulers: ForceSchedulerRegistry
    let triggers: TriggerableSchedulers
    let workerPasswords: WorkerPasswords
    /// Where each reloaded configuration goes (the build distributor takes its builders and worker limits).
    let reloaded: AsyncStream<MasterConfig>.Continuation
    let logger: Logger

    func run() async throws {
        var current = running
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            let next: MasterConfig
            do {
                next = try ConfigLoader.load(file: configPath)
            } catch let error as ConfigError {
                logger.error(
                    "reconfiguration refused; the running configuration stays",
                    metadata: ["gantry.config.errors": "\(error.problems.map(\.description))"])
                continue
            }
            let restartOnly = Self.restartOnlyKeys(current, next)
            if !restartOnly.isEmpty {
                logger.warning(
                    "changed keys take effect only when the master restarts",
                    metadata: ["gantry.config.keys": "\(restartOnly)"])
            }
            let changes = factory.changes(from: current.schedulers, to: next.schedulers)
            lifecycle.reconfigure(builders: next.builders.map(\.name), changes: changes)
            do {
                try await database.builders.updateBuilderInfo(next.builders)
            } catch {
                logger.error("builder descriptions not updated", metadata: ["gantry.error": "\(error)"])
            }
            let made = next.schedulers.map(factory.make)
            forceSchedulers.replace(with: made.compactMap { $0 as? ForceScheduler })
            triggers.replace(with: made)
            workerPasswords.replace(with: next.workers, pools: next.pools)
            reloaded.yield(next)
            logger.info(
                "configuration reloaded",
                metadata: ["gantry.config.file": "\(configPath)", "gantry.config.changes": "\(changes.count)"])
            current.builders = next.builders
            current.schedulers = next.schedulers
            current.workers = next.workers
        }
    }

    private static func restartOnlyKeys(_ old: MasterConfig, _ new: MasterConfig) -> [String] {
        var keys: [String] = []
        if old.name != new.name { keys.append("name") }
        if old.database != new.database { keys.append("database") }
        if old.http != new.http || old.httpLimits != new.httpLimits { keys.append("http") }
        if old.changeHooks != new.changeHooks { keys.append("changeHooks") }
        if old.workerPort != new.workerPort || old.workers.isEmpty != new.workers.isEmpty { keys.append("workerPort") }
        if old.heartbeat != new.heartbeat || old.expireAfter != new.expireAfter || old.claimPoll != new.claimPoll {
            keys.append("heartbeat/expireAfter/claimPoll")
        }
        return keys
    }
}

/// The service group logs its services by description at debug; the running configuration, when dumped, masks its
/// secrets.
extension ReloadService: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    var description: String { "reload service" }

    var debugDescription: String { description }

    var customMirror: Mirror {
        Mirror(self, children: ["configPath": configPath, "running": running], displayStyle: .struct)
    }
}
