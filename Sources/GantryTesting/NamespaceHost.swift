import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A machine for tests of ssh pools: a network namespace joined to this one by a veth pair (this side
/// `10.231.N.1/24`, its side `10.231.N.2/24` with a route back to 10.231.0.0/16), running an sshd of its own that lets
/// root in with a key made for it. It shares this machine's files, so a worker started there runs the `gantry` built
/// here.
///
/// ``remove()`` (which dropping it calls too) kills everything running in the namespace and deletes it, the veth
/// pair with it; the test process does the same for those left when it exits.
public final class NamespaceHost: Sendable {
    /// N in its addresses.
    public let number: Int
    /// The namespace's name.
    public let name: String
    /// The private key sshd lets root in with, in OpenSSH's format.
    public let privateKey: String
    /// sshd's public key, as `TYPE BASE64`.
    private let hostKey: String
    /// Its keys, sshd's configuration and log.
    private let directory: URL
    private let sshd = Mutex<Process?>(nil)
    private let removed = Atomic<Bool>(false)

    /// Its address, where its sshd listens on port 22.
    public var address: String { "10.231.\(number).2" }
    /// This machine's address on the link, which the host reaches: where a master's worker port listens for it.
    public var linkAddress: String { "10.231.\(number).1" }
    /// A known_hosts line for its sshd.
    public var knownHostsLine: String { "\(address) \(hostKey)" }
    private var hostInterface: String { "gty\(number)h" }
    private var namespaceInterface: String { "gty\(number)n" }

    /// Whether hosts can be made here: as root with the capabilities to make namespaces and links, with `ip`,
    /// sshd, ssh and ssh-keygen installed.
    public static var available: Bool {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") } ?? ""
        let capabilities = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        let needed: UInt64 = 1 << 12 | 1 << 21  // CAP_NET_ADMIN, CAP_SYS_ADMIN
        return getuid() == 0 && (capabilities ?? 0) & needed == needed && ipExecutable != nil
            && ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: $0)
            }
    }

    private static var ipExecutable: URL? {
        let paths = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        return paths.first { FileManager.default.isExecutableFile(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }

    private init(number: Int, privateKey: String, hostKey: String, directory: URL) {
        self.number = number
        name = "gantry-t\(number)"
        self.privateKey = privateKey
        self.hostKey = hostKey
        self.directory = directory
    }

    deinit { remove() }

    /// A new host, its sshd listening and letting root in with `privateKey` (a new key when nil).
    public static func make(privateKey: String? = nil) async throws -> NamespaceHost {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-ns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let host: NamespaceHost
        do {
            let keygen = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            let userKey = directory.appendingPathComponent("user_key").path
            for key in ["host_key"] + (privateKey == nil ? ["user_key"] : []) {
                let file = directory.appendingPathComponent(key).path
                try await run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "gantry-test", "-f", file])
            }
            if let privateKey {
                _ = FileManager.default.createFile(
                    atPath: userKey, contents: Data(privateKey.utf8), attributes: [.posixPermissions: 0o600])
                try await run(keygen, ["-y", "-f", userKey]).write(
                    toFile: userKey + ".pub", atomically: true, encoding: .utf8)
            }
            let userKeyText = try String(contentsOfFile: userKey, encoding: .utf8)
            let hostKey = try String(contentsOf: directory.appendingPathComponent("host_key.pub"), encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let number = try await reserve()
            host = NamespaceHost(number: number, privateKey: userKeyText, hostKey: hostKey, directory: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        do {
            try await host.setUp()
        } catch {
            // Still here if its end never moved into the namespace.
            _ = try? await ip(["link", "delete", host.hostInterface])
            host.remove()
            throw error
        }
        return host
    }

    /// Makes `count` hosts that let root in with the same key, runs `body` with them, and removes them whichever
    /// way it ends.
    public static func withHosts<Result>(
        _ count: Int, isolation: isolated (any Actor)? = #isolation, _ body: ([NamespaceHost]) async throws -> Result
    ) async throws -> Result {
        var hosts: [NamespaceHost] = []
        defer { for host in hosts { host.remove() } }
        for _ in 0..<count {
            let host = try await make(privateKey: hosts.first?.privateKey)
            hosts.append(host)
        }
        return try await body(hosts)
    }

    /// The next N to try, shared by this process's hosts; it starts from the pid so that test processes running at
    /// once rarely try the same ones.
    private static let nextNumber = Mutex<Int>(Int(getpid()) % 250)

    /// Takes an N whose network no interface here uses: creating the veth pair and the namespace fails if another
    /// host has them.
    private static func reserve() async throws -> Int {
        for _ in 0..<250 {
            let number = nextNumber.withLock {
                $0 = $0 % 250 + 1
                return $0
            }
            let (host, peer, namespace) = ("gty\(number)h", "gty\(number)n", "gantry-t\(number)")
            guard try await ip(["-o", "-4", "addr", "show", "to", "10.231.\(number).0/24"]).isEmpty,
                (try? await ip(["link", "add", host, "type", "veth", "peer", "name", peer])) != nil
            else { continue }
            guard (try? await ip(["netns", "add", namespace])) != nil else {
                _ = try? await ip(["link", "delete", host])
                continue
            }
            _ = destroyedAtExit
            live.withLock { _ = $0.insert(namespace) }
            return number
        }
        throw Failure("no network 10.231.N.0/24 is free for a test host")
    }

    /// Addresses the link, moves its end into the namespace, and starts sshd there.
    private func setUp() async throws {
        try await Self.ip(["link", "set", namespaceInterface, "netns", name])
        try await Self.ip(["addr", "add", "\(linkAddress)/24", "dev", hostInterface])
        try await Self.ip(["link", "set", hostInterface, "up"])
        try await Self.ip(["-n", name, "addr", "add", "\(address)/24", "dev", namespaceInterface])
        try await Self.ip(["-n", name, "link", "set", "lo", "up"])
        try await bringUp()
        // sshd's privilege separation directory.
        try FileManager.default.createDirectory(
            atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let config = directory.appendingPathComponent("sshd_config")
        try """
        ListenAddress \(address)
        Port 22
        HostKey \(directory.path)/host_key
        AuthorizedKeysFile \(directory.path)/user_key.pub
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        PidFile \(directory.path)/sshd.pid

        """.write(to: config, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("sshd.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = Self.ipExecutable
        process.arguments = ["netns", "exec", name, "/usr/sbin/sshd", "-D", "-e", "-f", config.path]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: log)
        _ = try process.start()
        sshd.withLock { $0 = process }
        let listening = await waitUntil(limit: .seconds(10)) { sshdLog.contains("Server listening on") }
        guard listening else { throw Failure("sshd did not start: \(sshdLog)") }
    }

    /// What sshd logged.
    public var sshdLog: String {
        (try? String(contentsOf: directory.appendingPathComponent("sshd.log"), encoding: .utf8)) ?? ""
    }

    /// Unplugs its end of the link: connections to it time out, as to a machine that went away, while this
    /// machine's address on the link stays up for the other hosts.
    public func takeDown() async throws {
        try await Self.ip(["-n", name, "link", "set", namespaceInterface, "down"])
    }

    /// Plugs its end of the link back in, with its route.
    public func bringUp() async throws {
        try await Self.ip(["-n", name, "link", "set", namespaceInterface, "up"])
        try await Self.ip(["-n", name, "route", "replace", "10.231.0.0/16", "via", linkAddress])
    }

    /// Kills sshd's listener, as a crash would, and waits until it is gone; the sessions it started go on.
    public func killSSHD() async {
        guard let pid = sshd.withLock({ $0?.processIdentifier }) else { return }
        kill(pid, SIGKILL)
        // By the process table (gone, or a zombie), not by `Process`, which may learn of the exit late or never.
        _ = await waitUntil {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            guard let end = stat.range(of: ") ", options: .backwards) else { return true }
            if stat[end.upperBound...].first == "Z" { return true }
            try? await Task.sleep(for: .milliseconds(20))
            return false
        }
    }

    /// The processes running in the namespace, with their command lines (arguments joined by spaces).
    public func processes() -> [(pid: Int32, line: String)] {
        Self.processes(in: name).compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            return (pid, String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self))
        }
    }

    /// Kills everything running in the namespace and deletes it (and so the veth pair); then nothing is left.
    public func remove() {
        guard !removed.exchange(true, ordering: .relaxed) else { return }
        Self.destroy(name)
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Namespaces

    /// The namespaces made and not yet removed, removed when the test process exits.
    private static let live = Mutex<Set<String>>([])
    private static let destroyedAtExit: Void = {
        atexit { for name in NamespaceHost.live.withLock({ $0 }) { NamespaceHost.destroy(name) } }
    }()

    /// Kills the processes in namespace `name`, then unmounts and removes its file, which ends it once they are
    /// gone. System calls only, so that it may run as the process exits.
    private static func destroy(_ name: String) {
        #if canImport(Glibc)
            let path = "/run/netns/\(name)"
            for _ in 0..<3 {
                let pids = processes(in: name)
                if pids.isEmpty { break }
                for pid in pids { kill(pid, SIGKILL) }
            }
            _ = umount2(path, Int32(MNT_DETACH))
            _ = unlink(path)
        #endif
        live.withLock { _ = $0.remove(name) }
    }

    /// The processes whose network namespace is `name`'s.
    private static func processes(in name: String) -> [Int32] {
        var namespace = stat()
        guard stat("/run/netns/\(name)", &namespace) == 0 else { return [] }
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            var info = stat()
            return stat("/proc/\(pid)/ns/net", &info) == 0 && info.st_dev == namespace.st_dev
                && info.st_ino == namespace.st_ino
        }
    }

    // MARK: - Commands

    private struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @discardableResult
    private static func ip(_ arguments: [String]) async throws -> String {
        guard let ipExecutable else { throw Failure("ip is not installed") }
        return try await run(ipExecutable, arguments)
    }

    /// Runs `executable` to its end; what it printed (standard output and error). Through swift-subprocess:
    /// Foundation's `Process` can lose a child's exit when several threads spawn at once.
    @discardableResult
    private static func run(_ executable: URL, _ arguments: [String]) async throws -> String {
        let result = try await Subprocess.run(
            .path(FilePath(executable.path)), arguments: Arguments(arguments), output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20))
        let text = result.standardOutput + result.standardError
        guard result.terminationStatus.isSuccess else {
            throw Failure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")): \(text)")
        }
        return text
    }
}
