import GantryCluster
public import GantryConfig
import GantryModel
import GantryScheduling

extension Master {
    /// Applies a reloaded configuration, already validated (one with any error is refused whole before it gets
    /// here, and the running one stays): builders (with their workers and steps), schedulers, force schedulers,
    /// worker passwords and pools take it; keys that only take effect at start (name, database, http, change
    /// hooks, cluster timings, the worker port) are reported as needing a restart.
    public func apply(_ next: MasterConfig) async {
        // One reload at a time, each against the configuration the previous one left.
        let previous = applying
        let current = Task {
            _ = await previous?.value
            await self.applyNow(next)
        }
        applying = current
        await current.value
    }

    private func applyNow(_ next: MasterConfig) async {
        let restartOnly = Self.restartOnlyKeys(running, next)
        if !restartOnly.isEmpty {
            logger.warning(
                "changed keys take effect only when the master restarts",
                metadata: [LogKey.configKeys: "\(restartOnly)"])
        }
        do {
            try await database.builders.updateBuilderInfo(next.builders)
        } catch {
            logger.error("builder descriptions not updated", metadata: [LogKey.error: "\(error)"])
        }
        // Renewed certificates (same files or others) are served to connections accepted from now on.
        tls.reload(next, logger: logger)
        let made = next.schedulers.map(schedulerFactory.make)
        forceSchedulers.replace(with: made.compactMap { $0 as? ForceScheduler })
        triggers.replace(with: made)
        passwords.replace(with: next.workers, pools: next.pools)
        // The address is the one the master started with (http takes effect at a restart): a reload may not
        // leave it without authentication beyond this machine.
        if next.auth == nil && !running.httpInsecure && !AddressRange.isLoopback(running.http.host) {
            logger.error(
                "reload refused to remove 'auth' while the HTTP API listens beyond this machine; it stays until a restart",
                metadata: [LogKey.httpAddress: "\(running.http)"])
        } else {
            access.update(next.auth)
        }
        // Reports link to the address the master serves, which changes only at a restart.
        var served = next
        served.http = running.http
        served.httpTLS = running.httpTLS
        let clusteredChanges =
            schedulerFactory.changes(from: running.schedulers, to: next.schedulers)
            + integrations.changes(from: running, to: served)
        // The builders are registered before the distributor records which workers serve them.
        await lifecycle.reconfigure(builders: next.builders.map(\.name), changes: clusteredChanges)
        var poolChanges: [ServiceChange] = []
        if let farm {
            // The pool manager has the new pools before their services start or stop.
            poolChanges = await farm.apply(next)
            if !poolChanges.isEmpty { await lifecycle.reconfigure(builders: nil, changes: poolChanges) }
            running.workers = next.workers
            running.pools = next.pools
        }
        logger.info(
            "configuration reloaded", metadata: [LogKey.configChanges: "\(clusteredChanges.count + poolChanges.count)"])
        running.builders = next.builders
        running.locks = next.locks
        running.schedulers = next.schedulers
        running.reporters = next.reporters
        running.changeSources = next.changeSources
        running.retention = next.retention
        running.publicURL = next.publicURL
        running.secrets = next.secrets
    }

    /// Stops the pools' services, releasing their claims, once the pools have terminated: another master takes
    /// them over without waiting for this one to leave the cluster.
    func releasePools() async {
        await lifecycle.reconfigure(builders: nil, changes: running.pools.map { .stop(kind: .pool, name: $0.name) })
    }

    private static func restartOnlyKeys(_ old: MasterConfig, _ new: MasterConfig) -> [String] {
        var keys: [String] = []
        if old.name != new.name { keys.append("name") }
        if old.database != new.database { keys.append("database") }
        if old.http != new.http || old.httpLimits != new.httpLimits { keys.append("http") }
        if old.changeHooks != new.changeHooks { keys.append("changeHooks") }
        if old.logStorage != new.logStorage { keys.append("logStorage") }
        if old.www != new.www { keys.append("www") }
        if old.workerPort.withoutTLS != new.workerPort.withoutTLS
            || (old.workers.isEmpty && old.pools.isEmpty)
                != (new.workers.isEmpty && new.pools.isEmpty)
        {
            keys.append("workerPort")
        }
        if old.heartbeat != new.heartbeat || old.expireAfter != new.expireAfter || old.claimPoll != new.claimPoll {
            keys.append("heartbeat/expireAfter/claimPoll")
        }
        keys += MasterTLS.restartOnlyKeys(old, new)
        return keys
    }
}
