import GantryConfig
import GantryModel
import Testing

/// `pools[].provisioner: {type: ssh, …}`: hosts reached over ssh, each with a capacity.
@Suite("ConfigLoader: ssh provisioner")
struct SSHProvisionerConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    /// The lines every configuration here starts with: the pool's secrets, and a worker port its hosts reach.
    private let header = """
        secrets: {environmentPrefix: GANTRY_SECRET_}
        workerPort: {address: "10.231.0.1:9989"}
        builders: [{name: b1}]

        """

    /// The provisioner of a configuration with one pool, `s`, whose provisioner is `provisioner` (YAML flow).
    private func readProvisioner(_ provisioner: String) throws -> PoolConfig.Provisioner? {
        try loader.parse(
            header + "pools: [{name: s, builders: [b1], maxWorkers: 2, provisioner: \(provisioner)}]"
        ).pools.first?.provisioner
    }

    /// The problems of a configuration with one pool per provisioner of `provisioners`.
    private func reportedProblems(_ provisioners: [String]) -> [String] {
        let pools = provisioners.enumerated().map {
            "  - {name: p\($0.offset), builders: [b1], maxWorkers: 1, provisioner: \($0.element)}"
        }
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(header + "pools:\n" + pools.joined(separator: "\n"))
        }
        return error?.problems.map(\.description) ?? []
    }

    @Test("every key is read; a host is a name, or a mapping with its port and capacity")
    func full() throws {
        let config = try loader.parse(
            header + """
                pools:
                  - name: s
                    builders: [b1]
                    maxWorkers: 7
                    provisioner:
                      type: ssh
                      hosts:
                        - build1.example.com
                        - {address: 10.0.0.5, port: 2222, capacity: 4}
                        - {address: "fd00::5"}
                      user: gantry
                      privateKeySecret: ssh_key
                      knownHostsSecret: known_hosts
                      gantry: /opt/gantry/bin/gantry
                      basedir: /srv/gantry-workers
                      cleanup: "rm -rf work/*/build"
                      connectTimeout: 3s
                """)
        let hosts = [
            SSHSettings.Host(address: "build1.example.com"),
            SSHSettings.Host(address: "10.0.0.5", port: 2222, capacity: 4), SSHSettings.Host(address: "fd00::5"),
        ]
        #expect(
            config.pools.first?.provisioner
                == .ssh(
                    SSHSettings(
                        hosts: hosts, user: "gantry", privateKeySecret: "ssh_key", knownHostsSecret: "known_hosts",
                        gantry: "/opt/gantry/bin/gantry", basedir: "/srv/gantry-workers",
                        cleanup: "rm -rf work/*/build", connectTimeout: .seconds(3))))
    }

    @Test("hosts, user and key are all it needs: port 22, one worker a host, host keys accepted the first time")
    func defaults() throws {
        let provisioner = try readProvisioner("{type: ssh, hosts: [h1], user: ci, privateKeySecret: key}")
        let settings = SSHSettings(hosts: [SSHSettings.Host(address: "h1")], user: "ci", privateKeySecret: "key")
        #expect(provisioner == .ssh(settings))
        #expect(settings.hosts[0].port == 22 && settings.hosts[0].capacity == 1 && settings.knownHostsSecret == nil)
        #expect(settings.gantry == "gantry" && settings.basedir == "gantry-workers" && settings.cleanup == nil)
        #expect(settings.connectTimeout == .seconds(10))
    }

    @Test("hosts, user and the key's secret are required, and hosts must be a non-empty list")
    func required() {
        #expect(
            reportedProblems([
                "{type: ssh, user: root, privateKeySecret: key}",
                "{type: ssh, hosts: [], privateKeySecret: key}",
                "{type: ssh, hosts: [a], user: root}",
                "{type: ssh, hosts: a, user: root, privateKeySecret: key}",
            ]) == [
                "pools[0].provisioner.hosts: is required: the hosts, as HOST or {address, port, capacity}",
                "pools[1].provisioner.hosts: must be a non-empty list of HOST or {address, port, capacity}",
                "pools[1].provisioner.user: is required: the user ssh logs in as",
                "pools[2].provisioner.privateKeySecret: is required: the secret holding the private key",
                "pools[3].provisioner.hosts: must be a non-empty list of HOST or {address, port, capacity}",
            ])
    }

    @Test("each host is located: listed twice, port and capacity out of range, no address, what ssh takes for more")
    func hosts() {
        let rule = "(no spaces, '@', '/' or brackets, and no leading '-')"
        #expect(
            reportedProblems([
                """
                {type: ssh, user: root, privateKeySecret: key, hosts: [a, {address: a, port: 22}, \
                {address: b, port: 0}, {address: c, capacity: 1001}, {address: d, weight: 2}, {capacity: 2}, \
                "-oProxyCommand=x", root@h, "[::1]", [x], {address: e, port: 65536, capacity: 0}]}
                """
            ]) == [
                "pools[0].provisioner.hosts[1]: 'a' port 22 is listed twice",
                "pools[0].provisioner.hosts[2].port: must be a whole number from 1 to 65535",
                "pools[0].provisioner.hosts[3].capacity: must be a whole number from 1 to 1000",
                "pools[0].provisioner.hosts[4].weight: unknown key (expected one of: address, capacity, port)",
                "pools[0].provisioner.hosts[5].address: is required",
                "pools[0].provisioner.hosts[6]: '-oProxyCommand=x' must be a host name or address \(rule)",
                "pools[0].provisioner.hosts[7]: 'root@h' must be a host name or address \(rule)",
                "pools[0].provisioner.hosts[8]: '[::1]' must be a host name or address \(rule)",
                "pools[0].provisioner.hosts[9]: must be HOST or {address, port, capacity}",
                "pools[0].provisioner.hosts[10].port: must be a whole number from 1 to 65535",
                "pools[0].provisioner.hosts[10].capacity: must be a whole number from 1 to 1000",
            ])
    }

    @Test("an unknown key, a user ssh would take for an option, bad secret names, a two-line path, no timeout")
    func refusals() {
        let problems = reportedProblems([
            """
            {type: ssh, hosts: [a], user: "-oProxyCommand=x", privateKeySecret: ../key, knownHostsSecret: "a b", \
            gantry: "/opt/gantry\\nrm -rf /", basedir: "", connectTimeout: 0s, port: 22}
            """,
            "{type: ssh, hosts: [a], user: root@a, privateKeySecret: key, connectTimeout: soon}",
        ])
        #expect(
            problems == [
                "pools[0].provisioner.port: unknown key (expected one of: basedir, cleanup, connectTimeout, gantry, "
                    + "hosts, knownHostsSecret, privateKeySecret, type, user)",
                "pools[0].provisioner.user: '-oProxyCommand=x' must be a user name (no spaces, '@', '/' or brackets, "
                    + "and no leading '-')",
                "pools[0].provisioner.privateKeySecret: '../key' is not a secret name",
                "pools[0].provisioner.knownHostsSecret: 'a b' is not a secret name",
                "pools[0].provisioner.gantry: must be on one line",
                "pools[0].provisioner.basedir: must be a non-empty string",
                "pools[0].provisioner.connectTimeout: must be positive",
                "pools[1].provisioner.user: 'root@a' must be a user name (no spaces, '@', '/' or brackets, and no "
                    + "leading '-')",
                "pools[1].provisioner.connectTimeout: must be a duration like 500ms, 2s, 5m or 1h",
            ])
    }
}
