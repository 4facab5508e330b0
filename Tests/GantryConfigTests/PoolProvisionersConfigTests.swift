import Foundation
import GantryConfig
import GantryModel
import Testing

/// The pools' limits and provisioners, as the README shows them.
@Suite("ConfigLoader: pool limits and provisioners")
struct PoolProvisionersConfigTests {
    @Test("the README's provisioners example is valid and has one pool of every provisioner, as it describes")
    func readmeExample() throws {
        let basedir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: basedir.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: basedir) }
        let config = try ConfigLoader(basedir: basedir.path, hostname: "build1").parse(
            try readmeYAML(after: "<!-- provisioners-example -->"))
        #expect(config.pools.map(\.provisioner.kind) == ["local", "command", "docker", "ssh"])
        #expect(config.pools[0].provisioner == .local(isolation: .bubblewrap))
        guard case .docker(let docker) = config.pools[2].provisioner, case .ssh(let ssh) = config.pools[3].provisioner
        else {
            Issue.record("no docker and ssh pools")
            return
        }
        #expect(config.pools[2].maxUses == 1)
        #expect(docker.socket == "/run/podman/podman.sock" && docker.image == "registry.example.com/gantry-worker:1.4")
        #expect(docker.command == ["gantry", "worker", "--basedir", "/work"] && docker.network == "host")
        #expect(docker.mounts == ["/srv/ccache:/cache", "/srv/sources:/sources:ro"])
        #expect(docker.memoryBytes == 4 << 30 && docker.cpus == 2 && docker.stopGrace == .seconds(30))
        #expect(docker.environment == ["CCACHE_DIR": "/cache"] && docker.labels == ["team": "build"])
        #expect(
            ssh.hosts == [
                SSHSettings.Host(address: "build1.example.com", port: 22, capacity: 2),
                SSHSettings.Host(address: "build2.example.com", port: 2222, capacity: 3),
            ])
        #expect(ssh.user == "gantry" && ssh.privateKeySecret == "build_hosts_key")
        #expect(ssh.knownHostsSecret == "build_hosts_known" && ssh.gantry == "/usr/local/bin/gantry")
        #expect(ssh.basedir == "/srv/gantry-workers" && ssh.cleanup == "rm -rf work/*/build")
        #expect(ssh.connectTimeout == .seconds(10))
    }

    @Test("maxStarting, maxUses, maxAge and maxBuilds are read, and refused out of range")
    func limits() throws {
        let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")
        let pool = try loader.parse(
            """
            builders: [{name: b1}]
            pools: [{name: c, builders: [b1], maxWorkers: 4, maxStarting: 2, maxUses: 1, maxAge: 2h, maxBuilds: 3}]
            """
        ).pools[0]
        #expect(pool.maxStarting == 2 && pool.maxUses == 1 && pool.maxAge == .seconds(7200) && pool.maxBuilds == 3)
        let defaults = try loader.parse("builders: [{name: b1}]\npools: [{name: c, builders: [b1], maxWorkers: 4}]")
        #expect(defaults.pools[0].maxStarting == nil && defaults.pools[0].maxUses == nil)
        #expect(defaults.pools[0].maxAge == nil && defaults.pools[0].maxBuilds == 1)
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                builders: [{name: b1}]
                pools:
                  - {name: c, builders: [b1], maxWorkers: 4, maxStarting: 5, maxUses: 0, maxAge: 0s, maxBuilds: 99999999999999999999}
                  - {name: d, builders: [b1], maxWorkers: 1, provisioner: {type: local, isolation: chroot}}
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "pools[0].maxStarting: must be a whole number from 1 to 4",
                "pools[0].maxUses: must be a whole number from 1 to 1000000",
                "pools[0].maxAge: must be positive",
                "pools[0].maxBuilds: must be a whole number from 1 to 1000",
                "pools[1].provisioner.isolation: must be none or bubblewrap",
            ])
    }
}
