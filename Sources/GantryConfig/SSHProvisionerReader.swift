import GantryModel
import Yams

/// Reads an `ssh` pool provisioner.
extension ConfigReader {
    /// `{type: ssh, hosts, user, privateKeySecret, knownHostsSecret, gantry, basedir, cleanup, connectTimeout}`:
    /// hosts, user and the key's secret are required. `nil` when one of them is missing or invalid.
    mutating func sshProvisioner(_ mapping: Node.Mapping, at path: String) -> PoolConfig.Provisioner? {
        refuseUnknownKeys(
            mapping,
            allowed: [
                "type", "hosts", "user", "privateKeySecret", "knownHostsSecret", "gantry", "basedir", "cleanup",
                "connectTimeout",
            ],
            at: path)
        let hosts = sshHosts(mapping["hosts"], at: join(path, "hosts"))
        if mapping["user"] == nil { problem(join(path, "user"), "is required: the user ssh logs in as") }
        var user = string(mapping, "user", at: path)
        if let text = user, !Self.isSSHWord(text) {
            problem(join(path, "user"), "'\(text)' must be a user name \(Self.wordRule)")
            user = nil
        }
        if mapping["privateKeySecret"] == nil {
            problem(join(path, "privateKeySecret"), "is required: the secret holding the private key")
        }
        let key = secretName(mapping, "privateKeySecret", at: path)
        let knownHosts = secretName(mapping, "knownHostsSecret", at: path)
        let gantry = oneLine(mapping, "gantry", at: path)
        let basedir = oneLine(mapping, "basedir", at: path)
        let cleanup = string(mapping, "cleanup", at: path)
        let connectTimeout = duration(mapping, "connectTimeout", at: path)
        guard let hosts, let user, let key else { return nil }
        var settings = SSHSettings(
            hosts: hosts, user: user, privateKeySecret: key, knownHostsSecret: knownHosts, cleanup: cleanup)
        settings.gantry = gantry ?? settings.gantry
        settings.basedir = basedir ?? settings.basedir
        settings.connectTimeout = connectTimeout ?? settings.connectTimeout
        return .ssh(settings)
    }

    /// `- HOST` or `- {address, port, capacity}`, each host once; nil when the list is missing or any is invalid.
    private mutating func sshHosts(_ node: Node?, at path: String) -> [SSHSettings.Host]? {
        guard let node else {
            problem(path, "is required: the hosts, as HOST or {address, port, capacity}")
            return nil
        }
        guard let items = node.sequence, !items.isEmpty else {
            problem(path, "must be a non-empty list of HOST or {address, port, capacity}")
            return nil
        }
        var hosts: [SSHSettings.Host] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let host = sshHost(item, at: itemPath) else {
                valid = false
                continue
            }
            if hosts.contains(where: { $0.address == host.address && $0.port == host.port }) {
                problem(itemPath, "'\(host.address)' port \(host.port) is listed twice")
                valid = false
            }
            hosts.append(host)
        }
        return valid ? hosts : nil
    }

    private mutating func sshHost(_ item: Node, at path: String) -> SSHSettings.Host? {
        if let text = item.scalar?.string {
            guard Self.isSSHWord(text), !text.isEmpty else {
                problem(path, "'\(text)' must be a host name or address \(Self.wordRule)")
                return nil
            }
            return SSHSettings.Host(address: text)
        }
        guard let mapping = item.mapping else {
            problem(path, "must be HOST or {address, port, capacity}")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: ["address", "port", "capacity"], at: path)
        if mapping["address"] == nil { problem(join(path, "address"), "is required") }
        var address = string(mapping, "address", at: path)
        if let text = address, !Self.isSSHWord(text) {
            problem(join(path, "address"), "'\(text)' must be a host name or address \(Self.wordRule)")
            address = nil
        }
        let port = number(mapping, "port", in: 1...65535, at: path)
        let capacity = number(mapping, "capacity", in: 1...1000, at: path)
        let invalid = (mapping["port"] != nil && port == nil) || (mapping["capacity"] != nil && capacity == nil)
        guard let address, !invalid else { return nil }
        return SSHSettings.Host(address: address, port: port ?? 22, capacity: capacity ?? 1)
    }

    /// Text on one line under `key`, if there is some.
    private mutating func oneLine(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        guard let text = string(mapping, key, at: path) else { return nil }
        guard !text.contains(where: \.isNewline) else {
            problem(join(path, key), "must be on one line")
            return nil
        }
        return text
    }

    /// Whether `text` can be a user or host for ssh: one word that ssh cannot take for an option or a `user@host`
    /// (an IPv6 address goes without brackets).
    private static func isSSHWord(_ text: String) -> Bool {
        !text.hasPrefix("-") && !text.contains { $0.isWhitespace || "@/[]".contains($0) }
    }

    private static let wordRule = "(no spaces, '@', '/' or brackets, and no leading '-')"
}
