public import Foundation
import GantryModel
import Yams

/// Reads and validates a master's YAML configuration, collecting every error rather than stopping at the first.
public struct ConfigLoader {
    /// The directory relative paths and the default database are resolved against.
    public var basedir: String
    /// This machine's name, for the default master name.
    public var hostname: String

    public init(basedir: String, hostname: String = ProcessInfo.processInfo.hostName) {
        self.basedir = basedir
        self.hostname = hostname
    }

    /// Loads `path`; the basedir is its directory.
    public static func load(file path: String) throws -> MasterConfig {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, problems: [.init(path: "", message: "cannot read the file")])
        }
        return try ConfigLoader(basedir: url.deletingLastPathComponent().path).parse(text, file: path)
    }

    /// Parses and validates YAML text.
    public func parse(_ text: String, file: String = "config") throws -> MasterConfig {
        var reader = ConfigReader()
        let root: Node
        do {
            root = try Yams.compose(yaml: text) ?? Node.mapping([:])
        } catch {
            throw ConfigError(file: file, problems: [.init(path: "", message: "not valid YAML: \(error)")])
        }
        guard let top = root.mapping else {
            throw ConfigError(file: file, problems: [.init(path: "", message: "the top level must be a mapping")])
        }
        reader.refuseUnknownKeys(
            top,
            allowed: [
                "name", "database", "http", "changeHooks", "heartbeat", "expireAfter", "claimPoll", "builders",
                "collapseRequests",
                "schedulers", "workers", "workerPort", "secrets", "pools", "auth", "reporters", "publicURL",
                "changeSources", "locks", "retention", "logStorage", "www",
            ],
            at: "")
        var config = MasterConfig(
            name: reader.string(top, "name", at: "") ?? "\(hostname):\(basedir)",
            database: reader.string(top, "database", at: "") ?? "sqlite:\(basedir)/gantry.sqlite"
        )
        let http = reader.http(top["http"])
        config.http = http.address ?? config.http
        config.httpLimits = http.limits
        config.httpTLS = reader.tls(
            top["http"]?.mapping?["tls"], at: "http.tls", basedir: basedir, allowsClientCA: false)
        config.httpInsecure = reader.httpInsecure(top["http"])
        config.auth = reader.auth(top["auth"], basedir: basedir)
        if top["auth"] == nil && !config.httpInsecure && !AddressRange.isLoopback(config.http.host) {
            reader.problem(
                "http",
                "\(config.http.host) is reachable beyond this machine, and without 'auth' the master would serve "
                    + "control actions (force, stop, reconfig) to anyone who can connect; add an 'auth' section, "
                    + "listen on 127.0.0.1, or set 'http: {address: ..., insecure: true}' to accept that")
        }
        config.changeHooks = reader.changeHooks(top["changeHooks"])
        if top["auth"] != nil {
            // Rules guard every control action, and a change can start builds: an unsigned hook would let anyone
            // who can reach the master go around them. `base` has no secret; the `change` action guards it.
            for (dialect, hook) in [("github", config.changeHooks.github), ("gitlab", config.changeHooks.gitlab)] {
                let path = "changeHooks.\(dialect)"
                // An empty secret, or settings that are not a mapping, are already reported there.
                guard let hook, hook.secret == nil,
                    !reader.problems.contains(where: { $0.path == path || $0.path.hasPrefix(path + ".") })
                else { continue }
                reader.problem(
                    path,
                    "needs a secret: with 'auth' every hook must be signed, or anyone who can reach the master "
                        + "could inject changes (and start the builds they trigger); add {secret: ...}")
            }
        }
        config.heartbeat = reader.duration(top, "heartbeat", at: "") ?? config.heartbeat
        config.expireAfter = reader.duration(top, "expireAfter", at: "") ?? config.expireAfter
        config.claimPoll = reader.duration(top, "claimPoll", at: "") ?? config.claimPoll
        if config.expireAfter <= config.heartbeat {
            reader.problem("expireAfter", "must be longer than heartbeat, or live masters would be expired")
        }
        config.workers = reader.workers(top["workers"], basedir: basedir)
        config.schedulers = reader.schedulers(top["schedulers"])
        config.locks = reader.locks(top["locks"])
        reader.declaredLocks = Dictionary(config.locks.map { ($0.name, $0) }) { first, _ in first }
        config.builders = reader.builders(
            top["builders"], workers: Set(config.workers.map(\.name)),
            triggerable: Set(config.schedulers.filter(\.isTriggerable).map(\.name)))
        config.collapseRequests = reader.collapseRule(top["collapseRequests"], at: "collapseRequests") ?? .always
        config.workerPort = reader.workerPort(top["workerPort"])
        config.workerPort.tls = reader.tls(
            top["workerPort"]?.mapping?["tls"], at: "workerPort.tls", basedir: basedir, allowsClientCA: true)
        config.secrets = reader.secrets(top["secrets"], basedir: basedir)
        config.basedir = basedir
        config.pools = reader.pools(
            top["pools"], builders: Set(config.builders.map(\.name)), workers: Set(config.workers.map(\.name)),
            basedir: basedir, secrets: config.secrets)
        config.reporters = reader.reporters(top["reporters"], basedir: basedir)
        config.publicURL = reader.webURL(top, "publicURL", at: "")
        config.changeSources = reader.changeSources(top["changeSources"], basedir: basedir)
        config.retention = reader.retention(top["retention"])
        config.logStorage = reader.logStorage(top["logStorage"], basedir: basedir)
        config.www = reader.www(top["www"], basedir: basedir)
        if config.secrets.directory == nil && config.secrets.environmentPrefix == nil {
            if !config.reporters.isEmpty {
                reader.problem(
                    "reporters", "reporters read their tokens and passwords from secrets; add a 'secrets' section")
            }
            if config.changeSources.contains(where: \.needsSecret) {
                reader.problem(
                    "changeSources", "credentials are read from secrets; add a 'secrets' section")
            }
        }
        if config.workerPort.tls != nil, let local = config.pools.first(where: { $0.provisioner.isLocal }) {
            reader.problem(
                "pools",
                "pool '\(local.name)' starts local workers, which connect without TLS, but the worker port serves "
                    + "TLS only (workerPort.tls)")
        }
        guard reader.problems.isEmpty else { throw ConfigError(file: file, problems: reader.problems) }
        return config
    }
}

/// Walks the YAML tree, turning what it finds into values and problems.
struct ConfigReader {
    var problems: [ConfigError.Problem] = []
    /// The configuration's locks by name, read before the builders and steps that take them.
    var declaredLocks: [String: LockConfig] = [:]

    mutating func problem(_ path: String, _ message: String) {
        problems.append(.init(path: path, message: message))
    }

    mutating func refuseUnknownKeys(_ mapping: Node.Mapping, allowed: Set<String>, at path: String) {
        for key in mapping.keys.compactMap(\.string) where !allowed.contains(key) {
            problem(join(path, key), "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    mutating func string(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        guard let node = mapping[key] else { return nil }
        guard let value = node.scalar?.string, !value.isEmpty else {
            problem(join(path, key), "must be a non-empty string")
            return nil
        }
        return value
    }

    /// A positive number of connections, such as a limit on how many are held at once.
    mutating func connectionCount(_ mapping: Node.Mapping, _ key: String, at path: String) -> Int? {
        guard let node = mapping[key] else { return nil }
        guard let count = node.int, count > 0 else {
            problem(join(path, key), "must be a positive number of connections")
            return nil
        }
        return count
    }

    /// A whole number from `range` under `key`, if there is one.
    mutating func number(_ mapping: Node.Mapping, _ key: String, in range: ClosedRange<Int>, at path: String) -> Int? {
        guard let node = mapping[key] else { return nil }
        guard let value = node.int, range.contains(value) else {
            problem(join(path, key), "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func flag(_ mapping: Node.Mapping, _ key: String, at path: String) -> Bool? {
        guard let node = mapping[key] else { return nil }
        guard let value = node.bool else {
            problem(join(path, key), "must be true or false")
            return nil
        }
        return value
    }

    /// - Parameter days: Whether `d` is a unit too (``DurationText/parse(_:days:)``).
    mutating func duration(
        _ mapping: Node.Mapping, _ key: String, at path: String, zeroAllowed: Bool = false, days: Bool = false
    ) -> Duration? {
        guard let node = mapping[key] else { return nil }
        guard let text = node.scalar?.string, let value = DurationText.parse(text, days: days) else {
            let examples = days ? "30d, 12h or 90m" : "500ms, 2s, 5m or 1h"
            problem(join(path, key), "must be a duration like \(examples)")
            return nil
        }
        guard value > .zero || (zeroAllowed && value == .zero) else {
            problem(join(path, key), zeroAllowed ? "must not be negative" : "must be positive")
            return nil
        }
        return value
    }

    mutating func changeHooks(_ node: Node?) -> ChangeHooksConfig {
        guard let node else { return ChangeHooksConfig() }
        guard let mapping = node.mapping else {
            problem("changeHooks", "must be a mapping of dialects (base, github, gitlab)")
            return ChangeHooksConfig()
        }
        refuseUnknownKeys(mapping, allowed: ["base", "github", "gitlab"], at: "changeHooks")
        var hooks = ChangeHooksConfig()
        for dialect in ["base", "github", "gitlab"] {
            guard let settings = mapping[dialect] else { continue }
            let path = join("changeHooks", dialect)
            var secret: String?
            if let settings = settings.mapping, dialect == "base" {
                if !settings.isEmpty { problem(path, "takes no settings; use {}") }
            } else if let settings = settings.mapping {
                refuseUnknownKeys(settings, allowed: ["secret"], at: path)
                secret = string(settings, "secret", at: path)
            } else if settings.null == nil {
                problem(path, "must be a mapping (use {} for the defaults)")
            }
            switch dialect {
            case "base": hooks.base = true
            case "github": hooks.github = HookSecret(secret: secret)
            default: hooks.gitlab = HookSecret(secret: secret)
            }
        }
        return hooks
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}
