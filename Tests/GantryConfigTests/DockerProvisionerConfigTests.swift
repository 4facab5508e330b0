import GantryConfig
import GantryModel
import Testing

/// `pools[].provisioner: {type: docker, …}`: the containers a pool's workers run in.
@Suite("ConfigLoader: docker provisioner")
struct DockerProvisionerConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    /// The provisioner of a configuration with one pool, `c`, whose provisioner is `provisioner` (YAML flow).
    private func readProvisioner(_ provisioner: String) throws -> PoolConfig.Provisioner? {
        try loader.parse(
            """
            builders: [{name: b1}]
            pools: [{name: c, builders: [b1], maxWorkers: 2, provisioner: \(provisioner)}]
            """
        ).pools.first?.provisioner
    }

    /// The problems of a configuration with one pool per provisioner of `provisioners`.
    private func reportedProblems(_ provisioners: [String]) -> [String] {
        let pools = provisioners.enumerated().map {
            "  - {name: p\($0.offset), builders: [b1], maxWorkers: 1, provisioner: \($0.element)}"
        }
        let error = #expect(throws: ConfigError.self) {
            try loader.parse("builders: [{name: b1}]\npools:\n" + pools.joined(separator: "\n"))
        }
        return error?.problems.map(\.description) ?? []
    }

    @Test("every key is read")
    func full() throws {
        let config = try loader.parse(
            """
            builders: [{name: b1}]
            pools:
              - name: c
                builders: [b1]
                maxWorkers: 2
                provisioner:
                  type: docker
                  image: "gantry-worker:test"
                  socket: /run/p.sock
                  command: [/usr/local/bin/gantry, worker]
                  env: {GANTRY_LOG_LEVEL: debug, CACHE_DIR: /cache, RETRIES: 3}
                  mounts: [/srv/cache:/cache, /etc/ssl/certs:/etc/ssl/certs:ro]
                  network: host
                  memory: 2g
                  cpus: 1.5
                  labels: {team: infra, com.example.tier: ci}
                  stopGrace: 0s
            """)
        #expect(
            config.pools.first?.provisioner
                == .docker(
                    DockerSettings(
                        socket: "/run/p.sock", image: "gantry-worker:test",
                        command: ["/usr/local/bin/gantry", "worker"],
                        environment: ["GANTRY_LOG_LEVEL": "debug", "CACHE_DIR": "/cache", "RETRIES": "3"],
                        mounts: ["/srv/cache:/cache", "/etc/ssl/certs:/etc/ssl/certs:ro"], network: "host",
                        memoryBytes: 2 << 30, cpus: 1.5, labels: ["team": "infra", "com.example.tier": "ci"],
                        stopGrace: .zero)))
    }

    @Test("only the image is required: Docker's socket, the image's command, no limits, a 10 s grace")
    func defaults() throws {
        let settings = DockerSettings(image: "gantry-worker:test")
        #expect(try readProvisioner(#"{type: docker, image: "gantry-worker:test"}"#) == .docker(settings))
        #expect(settings.socket == "/var/run/docker.sock" && settings.stopGrace == .seconds(10))
        #expect(settings.command == nil && settings.memoryBytes == nil && settings.cpus == nil)
    }

    @Test("memory is a number of bytes, or whole KiB, MiB or GiB in either case")
    func memory() throws {
        let sizes = ["1073741824": 1 << 30, "512m": 512 << 20, "2G": 2 << 30, "6144k": 6 << 20, "8388608b": 8 << 20]
        for (text, bytes) in sizes {
            let provisioner = try readProvisioner("{type: docker, image: w, memory: \(text)}")
            #expect(provisioner == .docker(DockerSettings(image: "w", memoryBytes: bytes)), "\(text)")
        }
    }

    @Test("a missing image, a relative mount, a huge memory, a gantry.* label, the master's variable, an unknown key")
    func refusals() {
        let problems = reportedProblems([
            "{type: docker, socket: /run/p.sock, network: host}",
            #"{type: docker, image: w, mounts: ["cache:/cache", "/a:/b:rw", "/a:/b:ro"]}"#,
            "{type: docker, image: w, memory: 99999999999999999999g}",
            "{type: docker, image: w, labels: {gantry.pool: other, team: infra}}",
            "{type: docker, image: w, env: {WORKER_PASSWORD: hunter2, HOME: /home/w}}",
            "{type: docker, image: w, volumes: [/a:/b]}",
        ])
        #expect(
            problems == [
                "pools[0].provisioner.image: is required",
                "pools[1].provisioner.mounts[0]: 'cache:/cache' must be SOURCE:TARGET or SOURCE:TARGET:ro, with "
                    + "absolute paths",
                "pools[1].provisioner.mounts[1]: '/a:/b:rw' must be SOURCE:TARGET or SOURCE:TARGET:ro, with "
                    + "absolute paths",
                "pools[2].provisioner.memory: '99999999999999999999g' is too large",
                "pools[3].provisioner.labels.gantry.pool: gantry.* labels are the master's: they say whose each "
                    + "container is",
                "pools[4].provisioner.env.WORKER_PASSWORD: is the master's: it sets WORKER_NAME, WORKER_PASSWORD and "
                    + "MASTER_URL for each worker",
                "pools[5].provisioner.volumes: unknown key (expected one of: command, cpus, env, image, labels, "
                    + "memory, mounts, network, socket, stopGrace, type)",
            ])
        #expect(!problems.contains { $0.contains("hunter2") })
    }

    @Test("malformed values are located and explained")
    func malformed() {
        let problems = reportedProblems([
            #"{type: docker, image: "gantry worker", socket: run/p.sock}"#,
            #"{type: docker, image: w, command: "gantry worker", env: {1X: a, OK_1: b}}"#,
            "{type: docker, image: w, memory: lots, cpus: 2000}",
            "{type: docker, image: w, memory: 4k, cpus: 0, stopGrace: -1s}",
            "{type: docker, image: w, mounts: /a:/b, labels: [team]}",
        ])
        #expect(
            problems == [
                "pools[0].provisioner.image: 'gantry worker' must be an image reference, without spaces",
                "pools[0].provisioner.socket: 'run/p.sock' must be an absolute path",
                "pools[1].provisioner.command: must be a non-empty list of words",
                "pools[1].provisioner.env: '1X' must be a variable name (letters, digits, _) with a text value",
                "pools[2].provisioner.memory: must be a size like 512m or 2g (k, m and g are KiB, MiB and GiB), or a "
                    + "number of bytes",
                "pools[2].provisioner.cpus: must be a number of CPUs from 0.01 to 1024",
                "pools[3].provisioner.memory: must be at least 6m, the least the engines accept",
                "pools[3].provisioner.cpus: must be a number of CPUs from 0.01 to 1024",
                "pools[3].provisioner.stopGrace: must be a duration like 500ms, 2s, 5m or 1h",
                "pools[4].provisioner.mounts: must be a list of SOURCE:TARGET or SOURCE:TARGET:ro",
                "pools[4].provisioner.labels: must map label keys to values",
            ])
    }
}
