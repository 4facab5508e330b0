import Foundation
import GantryModel
import Yams

/// Reads the `workers` list and the `workerPort` settings.
extension ConfigReader {
    /// `- {name, password}` or `- {name, passwordFile}` (a file relative to the basedir whose first line is the
    /// password), with `maxBuilds`; names follow Buildbot's identifier rule and are unique.
    mutating func workers(_ node: Node?, basedir: String) -> [WorkerConfig] {
        var workers: [WorkerConfig] = []
        var seen: Set<String> = []
        for (path, item) in listItems(node, key: "workers") {
            let allowed: Set = ["name", "password", "passwordFile", "maxBuilds"]
            guard let entry = namedEntry(item, at: path, allowed: allowed, identifier: "worker", seen: &seen) else {
                continue
            }
            let (mapping, name) = (entry.mapping, entry.name)
            let password = workerPassword(mapping, basedir: basedir, at: path)
            var maxBuilds = 1
            if let node = mapping["maxBuilds"] {
                if let count = node.int, count > 0 {
                    maxBuilds = count
                } else {
                    problem(join(path, "maxBuilds"), "must be a positive number of builds")
                }
            }
            if let name, let password {
                workers.append(WorkerConfig(name: name, password: password, maxBuilds: maxBuilds))
            }
        }
        return workers
    }

    private mutating func workerPassword(_ mapping: Node.Mapping, basedir: String, at path: String) -> String? {
        switch (string(mapping, "password", at: path), string(mapping, "passwordFile", at: path)) {
        case (let password?, nil):
            return password
        case (nil, let file?):
            let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: basedir, isDirectory: true))
            guard let text = try? String(contentsOf: url, encoding: .utf8),
                let line = text.split(whereSeparator: \.isNewline).first, !line.isEmpty
            else {
                problem(join(path, "passwordFile"), "cannot read a password from '\(file)'")
                return nil
            }
            return String(line)
        case (nil, nil):
            if mapping["password"] == nil && mapping["passwordFile"] == nil {
                problem(path, "needs 'password' or 'passwordFile'")
            }
            return nil
        case (.some, .some):
            problem(path, "takes 'password' or 'passwordFile', not both")
            return nil
        }
    }

    /// `workerPort: {address, keepalive, ..., tls}` (`tls` is read by ``tls(_:at:basedir:allowsClientCA:)``).
    mutating func workerPort(_ node: Node?) -> WorkerPortConfig {
        var config = WorkerPortConfig()
        guard let node else { return config }
        guard let mapping = node.mapping else {
            problem(
                "workerPort",
                "must be a mapping of address, keepalive, upgradeTimeout, idleTimeout and maxUnauthenticatedConnections"
            )
            return config
        }
        refuseUnknownKeys(
            mapping,
            allowed: ["address", "keepalive", "upgradeTimeout", "idleTimeout", "maxUnauthenticatedConnections", "tls"],
            at: "workerPort")
        if let text = string(mapping, "address", at: "workerPort") {
            if let address = ListenAddress(parsing: text) {
                config.address = address
            } else {
                problem("workerPort.address", "must be host:port, like 127.0.0.1:9989 or :9989")
            }
        }
        config.keepalive = duration(mapping, "keepalive", at: "workerPort") ?? config.keepalive
        config.upgradeTimeout = duration(mapping, "upgradeTimeout", at: "workerPort") ?? config.upgradeTimeout
        config.idleTimeout = duration(mapping, "idleTimeout", at: "workerPort") ?? config.idleTimeout
        config.maxUnauthenticatedConnections =
            connectionCount(mapping, "maxUnauthenticatedConnections", at: "workerPort")
            ?? config.maxUnauthenticatedConnections
        return config
    }
}
