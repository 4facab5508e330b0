import GantryModel
import Yams

/// Reads the `pools` list.
extension ConfigReader {
    /// `- {name, builders: [NAME], maxWorkers, minIdle, idleTimeout, startTimeout, minStartInterval, terminateGrace,
    /// maxStarting, maxUses, maxAge, maxBuilds, exitOnWorker, provisioner}`; names unique identifiers, builders
    /// among `builders`, the provisioner `{type: local, isolation: none|bubblewrap}` (the default),
    /// `{type: command, start: TEXT, stop: TEXT}`, `{type: docker, ...}` or `{type: ssh, ...}`.
    /// A pool's workers (`NAME-1` to `NAME-maxWorkers`) must not take the name of a configured worker.
    mutating func pools(
        _ node: Node?, builders known: Set<String>, workers: Set<String>, basedir: String, secrets: SecretsConfig
    ) -> [PoolConfig] {
        var pools: [PoolConfig] = []
        var seen: Set<String> = []
        for (path, item) in listItems(node, key: "pools") {
            let allowed: Set = [
                "name", "builders", "maxWorkers", "minIdle", "idleTimeout", "startTimeout", "minStartInterval",
                "terminateGrace", "provisioner", "exitOnWorker", "basedir", "maxStarting", "maxUses", "maxAge",
                "maxBuilds",
            ]
            guard let entry = namedEntry(item, at: path, allowed: allowed, identifier: "pool", seen: &seen),
                let name = entry.name
            else { continue }
            let mapping = entry.mapping
            let builders = names(mapping["builders"], at: join(path, "builders"))
            if builders.isEmpty { problem(join(path, "builders"), "must name at least one builder") }
            for builder in builders where !known.contains(builder) {
                problem(join(path, "builders"), "'\(builder)' is not a builder of this configuration")
            }
            guard let maxWorkers = mapping["maxWorkers"]?.int, maxWorkers > 0 else {
                problem(join(path, "maxWorkers"), "must be a positive number of workers")
                continue
            }
            var pool = PoolConfig(name: name, builders: builders, maxWorkers: maxWorkers)
            for clash in pool.workerNames where workers.contains(clash) {
                problem(join(path, "name"), "its worker '\(clash)' would have the name of a configured worker")
            }
            if let minIdle = mapping["minIdle"] {
                if let count = minIdle.int, (0...maxWorkers).contains(count) {
                    pool.minIdle = count
                } else {
                    problem(join(path, "minIdle"), "must be a number of workers from 0 to maxWorkers")
                }
            }
            pool.idleTimeout = duration(mapping, "idleTimeout", at: path) ?? pool.idleTimeout
            pool.startTimeout = duration(mapping, "startTimeout", at: path) ?? pool.startTimeout
            pool.minStartInterval =
                duration(mapping, "minStartInterval", at: path, zeroAllowed: true) ?? pool.minStartInterval
            pool.terminateGrace =
                duration(mapping, "terminateGrace", at: path, zeroAllowed: true) ?? pool.terminateGrace
            pool.exitOnWorker = flag(mapping, "exitOnWorker", at: path) ?? pool.exitOnWorker
            pool.maxStarting = number(mapping, "maxStarting", in: 1...maxWorkers, at: path)
            pool.maxUses = number(mapping, "maxUses", in: 1...1_000_000, at: path)
            pool.maxAge = duration(mapping, "maxAge", at: path)
            pool.maxBuilds = number(mapping, "maxBuilds", in: 1...1000, at: path) ?? pool.maxBuilds
            if let provisioner = mapping["provisioner"] {
                pool.provisioner = self.provisioner(provisioner, at: join(path, "provisioner")) ?? pool.provisioner
            }
            if let text = string(mapping, "basedir", at: path) {
                pool.basedir = poolBasedir(
                    text, of: pool, basedir: basedir, secrets: secrets, at: join(path, "basedir"))
            }
            pools.append(pool)
        }
        return pools
    }

    /// A local pool's directory: never inside the configuration or secrets directory, which its steps could read.
    private mutating func poolBasedir(
        _ text: String, of pool: PoolConfig, basedir: String, secrets: SecretsConfig, at path: String
    ) -> String? {
        guard pool.provisioner.isLocal else {
            problem(path, "only a local pool has a basedir")
            return nil
        }
        let directory = text.hasPrefix("/") ? text : basedir + "/" + text
        let guarded: [(String?, String)] = [(basedir, "configuration"), (secrets.directory, "secrets")]
        for case (let inside?, let what) in guarded where PoolConfig.lies(directory, inside: inside) {
            problem(path, "must lie outside the \(what) directory \(inside)")
            return nil
        }
        return directory
    }

    private mutating func provisioner(_ node: Node, at path: String) -> PoolConfig.Provisioner? {
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping with a type: local, command, docker or ssh")
            return nil
        }
        switch string(mapping, "type", at: path) {
        case "local":
            refuseUnknownKeys(mapping, allowed: ["type", "isolation"], at: path)
            guard let text = string(mapping, "isolation", at: path) else { return .local() }
            guard let isolation = PoolConfig.LocalIsolation(rawValue: text) else {
                problem(join(path, "isolation"), "must be none or bubblewrap")
                return nil
            }
            return .local(isolation: isolation)
        case "command":
            refuseUnknownKeys(mapping, allowed: ["type", "start", "stop"], at: path)
            guard let start = string(mapping, "start", at: path), let stop = string(mapping, "stop", at: path) else {
                problem(path, "a command provisioner needs start and stop")
                return nil
            }
            return .command(start: start, stop: stop)
        case "docker":
            return dockerProvisioner(mapping, at: path)
        case "ssh":
            return sshProvisioner(mapping, at: path)
        default:
            problem(join(path, "type"), "must be local, command, docker or ssh")
            return nil
        }
    }
}
