import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A `podman system service` serving the Docker Engine API on a unix socket of its own, for tests of `docker`
/// pools with real containers, and the image their workers run (``image``).
///
/// Every podman command, the service's included, reads a `containers.conf` that makes podman work on machines
/// like the CI's: runc rather than crun (which refuses hybrid cgroups), cgroupfs, and ulimits within the hard
/// limits. Storage is the machine's default, so containers outlive a test that dies: tests label them and remove
/// them by label.
public final class PodmanService: Sendable {
    /// A container podman lists.
    public struct Container: Sendable, Hashable, CustomStringConvertible {
        /// The full id, as the Engine API returns it.
        public var id: String
        public var running: Bool
        public var labels: [String: String]

        public var description: String { "\(id.prefix(12)) \(running ? "running" : "not running") \(labels)" }
    }

    /// The image a test's `docker` pool runs: the `gantry` binary beside the tests at `/usr/local/bin/gantry`,
    /// `sh`, `true`, `sleep`, `echo` and `cat`, and the libraries they load. Built once per test process, so it
    /// always holds the binary under test.
    public static let image = "localhost/gantry-worker:test"

    /// Whether podman is installed (on the `PATH`).
    public static var available: Bool { executable("podman") != nil }

    /// The Engine API's socket, for a pool's `provisioner.socket`.
    public let socketPath: String
    private let podman: String
    private let directory: String
    private let environment: [String: String]
    private let process: Process
    private let exited: AsyncStream<Int32>
    private let stopped = Mutex(false)

    private init(
        podman: String, directory: String, environment: [String: String], process: Process,
        exited: AsyncStream<Int32>
    ) {
        self.podman = podman
        self.directory = directory
        socketPath = directory + "/podman.sock"
        self.environment = environment
        self.process = process
        self.exited = exited
    }

    /// A service its test no longer holds is killed, so a test that ends early leaves no service behind.
    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Makes sure ``image`` holds this build's `gantry`, then starts a service and waits until its API answers.
    public static func start() async throws -> PodmanService {
        guard let podman = executable("podman") else { throw PodmanError("podman is not installed") }
        try await WorkerImage.shared.build(podman: podman)
        // Short: a unix socket's path has at most 107 bytes.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gantry-podman-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let environment = try writeConfiguration(in: directory)
        let log = directory + "/service.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: podman)
        process.arguments = ["system", "service", "--time=0", "unix://\(directory)/podman.sock"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let exited: AsyncStream<Int32>
        do {
            exited = try process.start()
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let service = PodmanService(
            podman: podman, directory: directory, environment: environment, process: process, exited: exited)
        // The call the provisioner makes first, rather than the socket file, which exists before it answers.
        let answered = await waitUntil(limit: .seconds(30)) {
            guard process.isRunning else { return true }
            guard FileManager.default.fileExists(atPath: service.socketPath) else { return false }
            return await ping(service.socketPath)
        }
        guard answered, process.isRunning else {
            let text = service.log
            await service.stop()
            throw PodmanError("podman system service did not answer: \(text)")
        }
        return service
    }

    /// What the service logged so far.
    public var log: String { (try? String(contentsOfFile: directory + "/service.log", encoding: .utf8)) ?? "" }

    /// The containers, running or not, carrying `label` (`KEY=VALUE`).
    public func containers(label: String) async throws -> [Container] {
        let outcome = try await Self.run(
            podman, ["ps", "--all", "--filter", "label=\(label)", "--format", "json"], environment: environment)
        guard outcome.status == 0 else { throw PodmanError("podman ps failed: \(outcome.error)") }
        let listed = try JSONDecoder().decode([ListedContainer].self, from: Data(outcome.output.utf8))
        return listed.map { Container(id: $0.id, running: $0.state == "running", labels: $0.labels ?? [:]) }
    }

    /// Sends SIGKILL to container `id`'s processes, as a crash of its machine would end them.
    public func kill(_ id: String) async throws {
        let outcome = try await Self.run(podman, ["kill", id], environment: environment)
        guard outcome.status == 0 else { throw PodmanError("podman kill \(id) failed: \(outcome.error)") }
    }

    /// Removes every container carrying `label` (`KEY=VALUE`), running or not: a test's cleanup.
    ///
    /// A create the service was still serving for a master just killed can land after a removal, so it looks
    /// again after a pause, until it finds none.
    public func removeAll(label: String) async {
        for _ in 0..<5 {
            _ = try? await Self.run(
                podman, ["rm", "--force", "--time", "0", "--filter", "label=\(label)"], environment: environment)
            try? await Task.sleep(for: .milliseconds(500))
            if (try? await containers(label: label).isEmpty) == true { return }
        }
    }

    /// Stops the service (its containers run on) and removes its directory; safe to call more than once.
    public func stop() async {
        let done = stopped.withLock { flag in
            let was = flag
            flag = true
            return was
        }
        guard !done else { return }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGTERM)
            let ended = await waitUntil(limit: .seconds(10)) { !process.isRunning }
            if !ended { Glibc.kill(process.processIdentifier, SIGKILL) }
        }
        var iterator = exited.makeAsyncIterator()
        _ = await iterator.next()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Commands

    /// What a finished command printed and how it exited.
    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `executable arguments...` to its end, with `environment` added to the test process's. Through
    /// swift-subprocess: Foundation's `Process` can crash spawning while other threads spawn too.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) async throws
        -> Outcome
    {
        var added: [Environment.Key: String?] = [:]
        for (name, value) in environment { added[Environment.Key(stringLiteral: name)] = value }
        let result = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments), environment: .inherit.updating(added),
            output: .string(limit: 16 << 20), error: .string(limit: 1 << 20))
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        return Outcome(status: status, output: result.standardOutput, error: result.standardError)
    }

    /// The path of `name` in a directory of the `PATH`, if it is there.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Writes the `containers.conf` every podman command here reads into `directory`; the environment that
    /// points podman to it.
    static func writeConfiguration(in directory: String) throws -> [String: String] {
        let path = directory + "/containers.conf"
        try """
        [containers]
        default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

        [engine]
        runtime = "runc"
        cgroup_manager = "cgroupfs"

        """.write(toFile: path, atomically: true, encoding: .utf8)
        return ["CONTAINERS_CONF": path]
    }

    /// Whether the Engine API on the socket at `path` answers `GET /v1.41/_ping` with 200.
    ///
    /// Without curl, which the machine may lack; reads and writes never block (MSG_DONTWAIT, polled every
    /// millisecond), so the cooperative pool's threads stay free.
    private static func ping(_ path: String, within limit: Duration = .seconds(2)) async -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8) + [0]
        guard bytes.count <= MemoryLayout.size(ofValue: address.sun_path) else { return false }
        bytes.withUnsafeBytes { source in
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyMemory(from: source) }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return false }
        let request = Array("GET /v1.41/_ping HTTP/1.0\r\nHost: podman\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes {
            send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        guard sent == request.count else { return false }
        let deadline = ContinuousClock.now.advanced(by: limit)
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = chunk.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            let code = errno
            if count > 0 {
                response.append(contentsOf: chunk[..<count])
            } else if count == 0 {
                break
            } else if code == EAGAIN || code == EWOULDBLOCK || code == EINTR {
                try? await Task.sleep(for: .milliseconds(1))
            } else {
                return false
            }
        }
        let text = String(decoding: response, as: UTF8.self)
        return text.hasPrefix("HTTP/1.0 200") || text.hasPrefix("HTTP/1.1 200")
    }
}

/// A failure to run podman, with what it said.
public struct PodmanError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ description: String) { self.description = description }
}

/// One entry of `podman ps --format json`.
private struct ListedContainer: Decodable {
    var id: String
    var state: String
    var labels: [String: String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case state = "State"
        case labels = "Labels"
    }
}

/// ``PodmanService/image``, built by the first test that needs it; later ones wait for it.
private actor WorkerImage {
    static let shared = WorkerImage()

    private var building: Task<Void, any Error>?

    func build(podman: String) async throws {
        if let building { return try await building.value }
        let task = Task { try await Self.make(podman: podman) }
        building = task
        try await task.value
    }

    /// The executables the image holds besides `gantry`, at the same paths as here.
    private static let tools = ["/bin/sh", "/bin/true", "/bin/sleep", "/bin/echo", "/bin/cat"]

    /// Copies the files into a root directory, tars it and imports the tar (about 3 s for a debug build), then
    /// removes the image the tag named before, which nothing uses any more.
    private static func make(podman: String) async throws {
        let files = FileManager.default
        let directory = files.temporaryDirectory.appendingPathComponent("gantry-image-\(UUID().uuidString)").path
        let root = directory + "/root"
        try files.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? files.removeItem(atPath: directory) }
        let environment = try PodmanService.writeConfiguration(in: directory)
        guard let ldd = PodmanService.executable("ldd"), let tar = PodmanService.executable("tar") else {
            throw PodmanError("building \(PodmanService.image) needs ldd and tar")
        }

        var entries = [(source: GantryProcess.executable.path, target: "/usr/local/bin/gantry")]
        entries += tools.map { (source: $0, target: $0) }
        for executable in [GantryProcess.executable.path] + tools {
            entries += try await libraries(of: executable, ldd: ldd).map { (source: $0, target: $0) }
        }
        var copied: Set<String> = []
        for (source, target) in entries where copied.insert(target).inserted {
            let destination = root + target
            try files.createDirectory(
                atPath: URL(fileURLWithPath: destination).deletingLastPathComponent().path,
                withIntermediateDirectories: true)
            // The file itself, not a link: /bin/sh links to dash, which the image has under no other name.
            try files.copyItem(atPath: resolved(source), toPath: destination)
            guard chmod(destination, 0o755) == 0 else { throw PodmanError("chmod \(destination) failed") }
        }
        try files.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        guard chmod(root + "/tmp", 0o1777) == 0 else { throw PodmanError("chmod \(root)/tmp failed") }
        try files.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)

        let tarball = directory + "/image.tar"
        let archived = try await PodmanService.run(tar, ["-C", root, "-cf", tarball, "."], environment: [:])
        guard archived.status == 0 else { throw PodmanError("tar failed: \(archived.error)") }
        let previous = try await PodmanService.run(
            podman, ["image", "inspect", "--format", "{{.Id}}", PodmanService.image], environment: environment)
        let imported = try await PodmanService.run(
            podman, ["import", "--quiet", tarball, PodmanService.image], environment: environment)
        guard imported.status == 0 else { throw PodmanError("podman import failed: \(imported.error)") }
        let old = imageID(previous.output)
        if previous.status == 0, !old.isEmpty, old != imageID(imported.output) {
            _ = try? await PodmanService.run(podman, ["rmi", old], environment: environment)
        }
    }

    /// The absolute paths of the libraries `ldd` lists for `executable`, the dynamic loader included.
    private static func libraries(of executable: String, ldd: String) async throws -> [String] {
        let outcome = try await PodmanService.run(ldd, [executable], environment: [:])
        if (outcome.output + outcome.error).contains("not a dynamic executable") { return [] }
        guard outcome.status == 0 else { throw PodmanError("ldd \(executable) failed: \(outcome.error)") }
        var paths: [String] = []
        for line in outcome.output.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if let arrow = text.range(of: "=>") {
                let target = text[arrow.upperBound...].trimmingCharacters(in: .whitespaces)
                if target.hasPrefix("not found") { throw PodmanError("\(executable) needs \(text)") }
                if let path = target.split(separator: " ").first, path.hasPrefix("/") { paths.append(String(path)) }
            } else if text.hasPrefix("/"), let path = text.split(separator: " ").first {
                paths.append(String(path))
            }
        }
        return paths
    }

    /// `path` with every symbolic link resolved.
    private static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// An image id as podman prints it, without the digest's `sha256:` prefix.
    private static func imageID(_ output: String) -> String {
        let id = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.hasPrefix("sha256:") ? String(id.dropFirst("sha256:".count)) : id
    }
}
