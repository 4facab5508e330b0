import Foundation
import GantryModel
import GantryPools
import GantryTesting
import Testing

/// The local provisioner with a stand-in for `gantry worker`: a script that writes the environment it got.
@Suite("Local provisioner", .paced)
struct LocalProvisionerTests {
    /// The master's environment: what programs need, secrets and other variables.
    private let environment = [
        "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8", "LC_ALL": "C", "TZ": "UTC",
        "GANTRY_SECRET_X": "hush-1", "DB_PASSWORD": "hush-2", "AWS_SECRET_ACCESS_KEY": "hush-3", "EDITOR": "vi",
    ]

    /// A directory with the stand-in worker `worker.sh` (which writes `env.txt` there), removed afterwards.
    private func withScript(_ body: (URL, URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-local-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("worker.sh")
        let record = directory.appendingPathComponent("env.txt").path
        try "#!/bin/sh\nenv > '\(record).part' && mv '\(record).part' '\(record)'\nexec sleep 30\n".write(
            to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        try await body(directory, script)
    }

    /// The `NAME=value` lines the stand-in wrote, once it has.
    private func recorded(_ directory: URL) async -> [String] {
        let file = directory.appendingPathComponent("env.txt")
        _ = await waitUntil { FileManager.default.fileExists(atPath: file.path) }
        return ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("a local worker gets PATH, HOME, the locale and the time zone of the master's environment, and no secret")
    func scrubbedEnvironment() async throws {
        try await withScript { directory, script in
            let provisioner = LocalProvisioner(
                executable: script.path, basedir: directory.appendingPathComponent("pool"),
                environment: environment)
            let worker = try await provisioner.start(
                InstanceRequest(name: "p-1", password: "pw", master: "127.0.0.1:9989"))
            let lines = await recorded(directory)
            await worker.stop()
            for kept in ["PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8", "LC_ALL=C", "TZ=UTC"] {
                #expect(lines.contains(kept), "\(lines)")
            }
            for name in ["GANTRY_SECRET_X", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "EDITOR"] {
                #expect(!lines.contains { $0.hasPrefix(name + "=") }, "\(name) in \(lines)")
            }
            #expect(!lines.contains { $0.contains("hush") })
        }
    }

    @Test("workers run as gantry-worker where it lies beside gantry, else as gantry worker")
    func workerExecutable() async throws {
        try await withScript { directory, _ in
            let arguments = directory.appendingPathComponent("arguments.txt")
            for name in ["gantry", "gantry-worker"] {
                let line =
                    "echo \"$0 $*\" > '\(arguments.path).part' && mv '\(arguments.path).part' '\(arguments.path)'"
                try "#!/bin/sh\n\(line)\nexec sleep 30\n".write(
                    to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            let gantry = directory.appendingPathComponent("gantry").path
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: gantry)
            #expect(LocalProvisioner.workerExecutable(beside: gantry) == gantry, "not executable: not used")
            let standalone = directory.appendingPathComponent("gantry-worker").path
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: standalone)
            #expect(LocalProvisioner.workerExecutable(beside: gantry) == standalone)
            for (executable, command) in [(gantry, "\(gantry) worker"), (standalone, standalone)] {
                try? FileManager.default.removeItem(at: arguments)
                let provisioner = LocalProvisioner(
                    executable: executable, basedir: directory.appendingPathComponent("pool"),
                    environment: environment)
                let worker = try await provisioner.start(
                    InstanceRequest(name: "p-1", password: "pw", master: "127.0.0.1:9989"))
                #expect(await waitUntil { FileManager.default.fileExists(atPath: arguments.path) })
                await worker.stop()
                let line = try String(contentsOf: arguments, encoding: .utf8)
                #expect(line.hasPrefix(command + " --master 127.0.0.1:9989 --name p-1 "), "\(line)")
            }
        }
    }

    @Test("by default a pool's workers live outside the configuration directory, in one only the user may enter")
    func defaultBasedir() async throws {
        try await withScript { directory, script in
            let configuration = directory.appendingPathComponent("etc")
            let provisioner = LocalProvisioner(
                executable: script.path, pool: PoolSettings(name: "p", builders: ["b1"], maxWorkers: 1),
                configurationDirectory: configuration.path, secretsDirectory: nil, environment: environment)
            let basedir = LocalProvisioner.defaultBasedir(pool: "p", configurationDirectory: configuration.path)
            defer { try? FileManager.default.removeItem(at: basedir.deletingLastPathComponent()) }
            #expect(provisioner.basedir == basedir)
            #expect(!PoolSettings.lies(basedir.path, inside: configuration.path))
            #expect(!PoolSettings.lies(basedir.path, inside: directory.path))
            #expect(basedir.lastPathComponent == "p")
            #expect(basedir.deletingLastPathComponent().lastPathComponent.hasPrefix("etc-"))
            let other = LocalProvisioner.defaultBasedir(
                pool: "p", configurationDirectory: directory.appendingPathComponent("other/etc").path)
            #expect(other != basedir, "another configuration's workers have directories of their own")
            #expect(
                LocalProvisioner.defaultBasedir(pool: "p", configurationDirectory: configuration.path + "/./")
                    == basedir)

            let worker = try await provisioner.start(
                InstanceRequest(name: "p-1", password: "pw", master: "127.0.0.1:9989"))
            _ = await recorded(directory)
            await worker.stop()
            let password = basedir.appendingPathComponent("p-1/.password")
            #expect(try String(contentsOf: password, encoding: .utf8) == "pw\n")
            let root = basedir.deletingLastPathComponent().deletingLastPathComponent()
            let mode = try FileManager.default.attributesOfItem(atPath: root.path)[.posixPermissions] as? UInt
            #expect(mode == 0o700, "\(root.path): \(String(describing: mode))")
        }
    }

    @Test("a pool directory in the configuration or secrets directory, or reaching one by a link, is refused")
    func protectedDirectories() async throws {
        try await withScript { directory, script in
            let configuration = directory.appendingPathComponent("etc")
            let secrets = directory.appendingPathComponent("secrets")
            for made in [configuration, secrets] {
                try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
            }
            let link = directory.appendingPathComponent("link")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: configuration)
            for refused in [configuration.path, configuration.path + "/pools", secrets.path + "/p", link.path + "/p"] {
                var pool = PoolSettings(name: "p", builders: ["b1"], maxWorkers: 1)
                pool.basedir = refused
                let provisioner = LocalProvisioner(
                    executable: script.path, pool: pool, configurationDirectory: configuration.path,
                    secretsDirectory: secrets.path, environment: environment)
                await #expect(throws: (any Error).self, "\(refused)") {
                    try await provisioner.start(InstanceRequest(name: "p-1", password: "pw", master: "127.0.0.1:9989"))
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: configuration.path).isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: secrets.path).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("env.txt").path))

            // A sibling whose name merely starts like the configuration directory's is fine.
            var pool = PoolSettings(name: "p", builders: ["b1"], maxWorkers: 1)
            pool.basedir = directory.appendingPathComponent("etc-pools").path
            let provisioner = LocalProvisioner(
                executable: script.path, pool: pool, configurationDirectory: configuration.path,
                secretsDirectory: secrets.path, environment: environment)
            let worker = try await provisioner.start(
                InstanceRequest(name: "p-1", password: "pw", master: "127.0.0.1:9989"))
            #expect(await recorded(directory).contains("LC_ALL=C"))
            await worker.stop()
        }
    }

    @Test(
        "with bubblewrap, a worker sees the root read-only, a /tmp of its own, its own PID namespace, and writes its directory",
        .enabled(
            if: LocalProvisioner.bubblewrap(in: ProcessInfo.processInfo.environment) != nil, "bwrap is not installed"))
    func bubblewrap() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-bwrap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The worker's own directory is all it sees of the host's /tmp: the stand-in lives there.
        let own = directory.appendingPathComponent("pool/p-1")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        let neighbour = directory.appendingPathComponent("pool/p-2")
        try FileManager.default.createDirectory(at: neighbour, withIntermediateDirectories: true)
        try "x".write(to: neighbour.appendingPathComponent("secret"), atomically: true, encoding: .utf8)
        let probe = "gantry-probe-\(UUID().uuidString)"
        let script = own.appendingPathComponent("worker.sh")
        try """
        #!/bin/sh
        d=$(dirname "$0")
        {
          echo "pid=$$"
          if touch /usr/\(probe) 2>/dev/null; then echo root=writable; else echo root=read-only; fi
          if echo x > /tmp/\(probe); then echo tmp=writable; fi
          if [ -e '\(directory.path)/pool/p-2/secret' ]; then echo neighbour=visible; fi
          if [ -e '/var/tmp/\(probe)/master.yaml' ]; then echo configuration=visible; fi
        } > "$d/seen.part" && mv "$d/seen.part" "$d/seen.txt"
        exec sleep 30
        """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        // The master's configuration, outside /tmp, where the worker would otherwise read it.
        let configuration = URL(fileURLWithPath: "/var/tmp/\(probe)")
        try FileManager.default.createDirectory(at: configuration, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: configuration) }
        try "secret: x".write(
            to: configuration.appendingPathComponent("master.yaml"), atomically: true, encoding: .utf8)
        let provisioner = LocalProvisioner(
            executable: script.path, basedir: directory.appendingPathComponent("pool"),
            protectedDirectories: [configuration.path], environment: environment, isolation: .bubblewrap)
        let worker = try await provisioner.start(InstanceRequest(name: "p-1", password: "pw", master: "127.0.0.1:9"))
        let seen = own.appendingPathComponent("seen.txt")
        let wrote = await waitUntil { FileManager.default.fileExists(atPath: seen.path) }
        await worker.stop()
        #expect(wrote)
        let lines = ((try? String(contentsOf: seen, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(lines.contains("root=read-only") && lines.contains("tmp=writable"), "\(lines)")
        #expect(lines.contains("pid=2") || lines.contains("pid=1"), "its own PID namespace: \(lines)")
        #expect(!lines.contains("neighbour=visible"), "another worker's directory is hidden: \(lines)")
        #expect(!lines.contains("configuration=visible"), "the master's configuration is hidden: \(lines)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(probe)"), "its /tmp is its own")
        #expect(!FileManager.default.fileExists(atPath: "/usr/\(probe)"))
        #expect(await worker.hasExited)
    }
}
