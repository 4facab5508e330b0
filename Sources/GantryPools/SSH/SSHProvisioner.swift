public import Foundation
public import GantryModel
public import Logging
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Workers on hosts kept up by their owners, reached over ssh, each running up to its capacity (Copr's reusable
/// hosts). A worker lives as long as its ssh session (``SSHCommand``): the session ending, the master closing it or
/// the master dying stops the worker on its host, so none outlives its master. The hosts' login shell must be a
/// POSIX one, and the master's worker port an address they reach.
///
/// The pool manager makes a provisioner for each start; what must last longer (the workers' slots, the hosts a
/// start failed on) is in the ``SSHHostBooks`` it is given, and the key and known hosts files in `workdir`.
public struct SSHProvisioner: WorkerProvisioner {
    public let pool: String
    public let settings: SSHSettings
    let books: SSHHostBooks
    let secrets: SecretStore
    /// A directory of the master's only, for ssh's key and known hosts files.
    public let workdir: String
    let logger: Logger
    /// What ssh gets of the master's environment: enough to find programs, and English messages.
    let environment: [Environment.Key: String]

    /// How long a stop waits for the host to stop the worker and run the cleanup before ending ssh.
    static let stopLimit = Duration.seconds(300)
    /// How long a reap may take once connected.
    static let reapLimit = Duration.seconds(30)

    public var kind: String { "ssh" }

    /// A provisioner of pool `pool`, whose book in `books` takes `settings`' hosts.
    /// - Parameter workdir: A directory only the master's user may enter (it is made so), kept across starts: ssh
    ///   remembers there the host keys it accepted.
    /// - Parameter environment: The master's, of which ssh gets PATH and HOME.
    public init(
        pool: String, settings: SSHSettings, books: SSHHostBooks, secrets: SecretStore, workdir: String,
        logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.pool = pool
        self.settings = settings
        self.books = books
        self.secrets = secrets
        self.workdir = workdir
        self.logger = logger
        var passed: [Environment.Key: String] = ["LC_ALL": "C"]
        for name in ["PATH", "HOME"] {
            if let value = environment[name] { passed[Environment.Key(stringLiteral: name)] = value }
        }
        self.environment = passed
        books.update(pool) { $0.configure(settings.hosts) }
    }

    /// Starts the worker on the least loaded host with room, and returns once it runs there.
    /// - Throws: ``ProvisionerError`` `quota` when every host is full or was left alone after a failure, and
    ///   `transient` when the host could not be reached or the worker not started there (the host is then left
    ///   alone for a while).
    public func start(_ request: InstanceRequest) async throws -> any ProvisionedWorker {
        typealias Choice = Result<HostBook<ContinuousClock.Instant>.Placement, ProvisionerError>
        let placement = try books.update(pool) { book -> Choice in
            let now = ContinuousClock.now
            guard let placement = book.place(at: now) else {
                return .failure(ProvisionerError(.quota, book.whyFull(at: now)))
            }
            return .success(placement)
        }.get()
        let host = placement.host
        let command: SSHCommand
        do {
            command = try files()
        } catch {
            books.update(pool) { $0.release(placement) }
            throw error
        }
        var logger = logger
        logger[metadataKey: LogKey.worker] = "\(request.name)"
        logger[metadataKey: LogKey.target] = "\(host.target)"
        let token = String(UInt32.random(in: .min ... .max), radix: 16)
        let script = command.sessionScript(name: request.name, master: request.master, token: token)
        let configuration = makeConfiguration(command.arguments(host, running: script))
        let session = SSHSession(configuration, password: request.password) { [books, pool, logger] outcome in
            let wait = books.update(pool) { book -> Duration? in
                book.release(placement)
                guard !outcome.started, !outcome.endedByMaster, outcome.failure == nil else { return nil }
                return book.failed(host, at: .now)
            }
            if outcome.started {
                logger.info(
                    "a pool worker's ssh session ended",
                    metadata: [LogKey.status: "\(outcome.shownStatus)", LogKey.detail: "\(outcome.errors)"])
            } else if let wait {
                logger.warning(
                    "a start failed on an ssh pool's host, which is left alone for a while",
                    metadata: [LogKey.retry: "\(wait)", LogKey.detail: "\(outcome.errors)"])
            }
        }
        if await session.started() {
            books.update(pool) { $0.reached(placement) }
            return SSHWorker(instanceID: "\(host.target)/\(request.name)/\(token)", session: session)
        }
        // Not ended by itself: the caller was cancelled (the start took too long).
        guard session.outcome.ended else {
            await session.end()
            throw CancellationError()
        }
        throw Self.failure(session.outcome, on: host)
    }

    /// What the pool's event log says of a start that ended before the worker ran.
    static func failure(_ outcome: SSHSession.Outcome, on host: SSHSettings.Host) -> ProvisionerError {
        if let failure = outcome.failure {
            return (failure as? SubprocessError)?.code == .executableNotFound
                ? ProvisionerError(.permanent, "ssh is not installed on the master")
                : ProvisionerError(.transient, "ssh could not be run on the master: \(failure)")
        }
        let errors = outcome.errors.isEmpty ? "" : ": \(outcome.errors)"
        if case .exited(255)? = outcome.status {
            return ProvisionerError(.transient, "host \(host.target) is unreachable\(errors)")
        }
        return ProvisionerError(
            .transient, "the worker could not be started on host \(host.target) (\(outcome.shownStatus))\(errors)")
    }

    /// Stops the worker the labels name, left on a host by a master, by the pid its session recorded: on the host the
    /// instance id names, if that start's pid is still recorded there, else on every host.
    /// - Throws: ``ProvisionerError`` when a host could not be reached.
    public func reap(instanceID: String?, labels: [String: String]) async throws {
        let worker = labels[InstanceLabel.worker] ?? ""
        let instance = try instanceID.map { id in
            guard let parsed = Self.instance(id) else {
                throw ProvisionerError(.permanent, "'\(id)' is not the id of an ssh pool's worker")
            }
            return parsed
        }
        let hosts = instance.map { named in [settings.hosts.first { $0.target == named.host.target } ?? named.host] }
        let token = instance?.token
        let command = try files()
        let failures = await withTaskGroup(of: String?.self) { group in
            for host in hosts ?? settings.hosts {
                group.addTask { await self.reap(worker, token: token, on: host, command) }
            }
            var failures: [String] = []
            for await case let failure? in group { failures.append(failure) }
            return failures
        }
        if !failures.isEmpty { throw ProvisionerError(.transient, failures.sorted().joined(separator: "; ")) }
    }

    /// Runs the reap script on `host`; why it failed, if it did.
    private func reap(_ worker: String, token: String?, on host: SSHSettings.Host, _ command: SSHCommand) async
        -> String?
    {
        let script = command.reapScript(name: worker, token: token)
        let configuration = makeConfiguration(command.arguments(host, running: script))
        let limit = settings.connectTimeout + Self.reapLimit
        let finished = await withTaskGroup(of: Result<SSHSession.Outcome, any Error>?.self) { group in
            group.addTask {
                do {
                    let result = try await Subprocess.run(
                        configuration, input: .none, output: .discarded, error: .bytes(limit: SSHSession.errorLimit))
                    var outcome = SSHSession.Outcome()
                    outcome.status = result.terminationStatus
                    outcome.noteErrors(result.standardError)
                    return .success(outcome)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch finished {
        case nil:
            return "host \(host.target) did not finish stopping \(worker) within \(limit)"
        case .failure(let error)?:
            return "ssh could not be run on the master: \(error)"
        case .success(let outcome)?:
            let errors = outcome.errors.isEmpty ? "" : ": \(outcome.errors)"
            switch outcome.status {
            case .exited(0)?:
                return nil
            case .exited(255)?:
                books.update(pool) { _ = $0.failed(host, at: .now) }
                return "host \(host.target) is unreachable\(errors)"
            default:
                return "stopping \(worker) on host \(host.target) failed (\(outcome.shownStatus))\(errors)"
            }
        }
    }

    /// The host and start token of an instance id, `address:port/NAME/TOKEN`.
    static func instance(_ id: String) -> (host: SSHSettings.Host, token: String)? {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let colon = parts[0].lastIndex(of: ":"),
            let port = Int(parts[0][parts[0].index(after: colon)...]), !parts[2].isEmpty
        else { return nil }
        var address = parts[0][..<colon]
        if address.hasPrefix("[") && address.hasSuffix("]") { address = address.dropFirst().dropLast() }
        guard !address.isEmpty else { return nil }
        return (SSHSettings.Host(address: String(address), port: port), String(parts[2]))
    }

    /// ssh with `arguments`, in a session of its own, so that ending it reaches all it started.
    private func makeConfiguration(_ arguments: [String]) -> Configuration {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(2))
        ]
        return Configuration(
            executable: .name("ssh"), arguments: Arguments(arguments), environment: .custom(environment),
            platformOptions: options)
    }

    /// Writes the key, and the pinned host keys if there are any, where ssh reads them: from the secrets as they
    /// are now, so a changed secret counts from the next start.
    func files() throws -> SSHCommand {
        guard let key = secrets.value(settings.privateKeySecret) else {
            throw ProvisionerError(.permanent, "the secret '\(settings.privateKeySecret)' (the ssh key) is not set")
        }
        let pinned = try settings.knownHostsSecret.map { name in
            guard let hosts = secrets.value(name) else {
                throw ProvisionerError(.permanent, "the secret '\(name)' (the hosts' keys) is not set")
            }
            return hosts
        }
        let command = SSHCommand(
            settings: settings, keyFile: workdir + "/key",
            knownHostsFile: workdir + (pinned == nil ? "/known_hosts" : "/known_hosts.pinned"), pinned: pinned != nil)
        do {
            try makeWorkdir()
            // OpenSSH refuses a key without its final newline, which the secret store strips.
            try Self.writePrivate(key.hasSuffix("\n") ? key : key + "\n", to: command.keyFile)
            if let pinned { try Self.writePrivate(pinned + "\n", to: command.knownHostsFile) }
        } catch {
            throw ProvisionerError(.transient, "cannot write the ssh key in \(workdir): \(error)")
        }
        return command
    }

    /// Makes `workdir` and the directories missing on the way to it, each one only this user may enter: in the
    /// temporary directory, the local provisioner refuses one open to others.
    private func makeWorkdir() throws {
        var missing: [URL] = []
        var directory = URL(fileURLWithPath: workdir, isDirectory: true)
        while !FileManager.default.fileExists(atPath: directory.path), directory.pathComponents.count > 1 {
            missing.append(directory)
            directory.deleteLastPathComponent()
        }
        for made in missing.reversed() {
            // A concurrent start may make it first.
            try? FileManager.default.createDirectory(
                at: made, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: workdir)
    }

    /// Writes `text` to `path` unless it holds it already: into a new file only this user may read (ssh refuses a
    /// key others may), then renamed over it, so a concurrent start never reads half a key.
    private static func writePrivate(_ text: String, to path: String) throws {
        if (try? String(contentsOfFile: path, encoding: .utf8)) == text { return }
        let temporary = "\(path).\(UUID().uuidString)"
        let file = try FileDescriptor.open(
            FilePath(temporary), .writeOnly, options: [.create, .exclusiveCreate], permissions: [.ownerReadWrite])
        do {
            try file.closeAfter { _ = try file.writeAll(Array(text.utf8)) }
            guard rename(temporary, path) == 0 else { throw Errno(rawValue: errno) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
    }
}

/// A worker running in an ssh session.
struct SSHWorker: ProvisionedWorker {
    let instanceID: String?
    let session: SSHSession

    var hasExited: Bool { session.outcome.ended }

    /// Closes the session's standard input, on which the host stops the worker and runs the cleanup, and waits
    /// for the session to end; ssh is ended after ``SSHProvisioner/stopLimit`` (a host that stopped answering ends
    /// it within 15 s). In a task of its own, so that it runs even when the caller was cancelled.
    func stop() async {
        await Task { [session] in
            session.close()
            if await !session.ended(within: SSHProvisioner.stopLimit) { await session.end() }
        }.value
    }
}

/// A worker's session: the ssh child running ``SSHCommand/sessionScript(name:master:token:)``, whose standard input
/// stays open until ``close()``.
final class SSHSession: Sendable {
    /// What became of the child so far.
    struct Outcome: Sendable {
        /// The script said the worker runs.
        var started = false
        var ended = false
        /// The master ended the child.
        var endedByMaster = false
        var status: TerminationStatus?
        /// Why the child could not be run, if it could not.
        var failure: (any Error)?
        /// The end of what ssh and the script wrote on standard error.
        private var errorOutput: [UInt8] = []

        /// The exit status, as a person reads it.
        var shownStatus: String {
            switch status {
            case .exited(let code)?: "exit status \(code)"
            case .signaled(let signal)?: "signal \(signal)"
            case nil: "no status"
            }
        }

        /// The end of standard error, its lines trimmed and joined on one line.
        var errors: String {
            let lines = String(decoding: errorOutput, as: UTF8.self).split(whereSeparator: \.isNewline)
            let shown = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return String(shown.joined(separator: "; ").suffix(SSHSession.shownErrors))
        }

        /// Keeps the end of standard error, `bytes` being its next part.
        mutating func noteErrors(_ bytes: some Collection<UInt8>) {
            errorOutput += bytes
            let excess = errorOutput.count - SSHSession.keptErrors
            if excess > 0 { errorOutput.removeFirst(excess) }
        }
    }

    /// How much of standard error a reap reads, how much of it an outcome keeps, and how much a message shows.
    static let errorLimit = 64 << 10
    static let keptErrors = 4 << 10
    static let shownErrors = 500

    private let state = Mutex(Outcome())
    private let work = Mutex<Task<Void, Never>?>(nil)
    /// Finished by ``close()``.
    private let closing = AsyncStream<Void>.makeStream()
    /// Yields once the worker runs; finished when the child ends.
    private let progress = AsyncStream<Void>.makeStream()

    /// Runs ssh as `configuration` says, writing `password` and a newline on its standard input; `ended` gets
    /// the outcome once the child is gone.
    init(_ configuration: Configuration, password: String, ended: @escaping @Sendable (Outcome) -> Void) {
        let task = Task { [self] in
            await run(configuration, input: Array((password + "\n").utf8))
            ended(outcome)
        }
        work.withLock { $0 = task }
    }

    var outcome: Outcome { state.withLock { $0 } }

    private func run(_ configuration: Configuration, input: [UInt8]) async {
        do {
            let result = try await Subprocess.run(
                configuration, input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                let writer = execution.standardInputWriter
                // ssh may be gone already (a refused connection); its status says why.
                _ = try? await writer.write(input)
                await withTaskGroup(of: Bool.self) { group in
                    group.addTask { [closing] in
                        for await _ in closing.stream {}
                        try? await writer.finish()
                        return false
                    }
                    group.addTask {
                        do {
                            for try await line in execution.standardOutput.strings()
                            where line == SSHCommand.startedLine {
                                self.state.withLock { $0.started = true }
                                self.progress.continuation.yield()
                            }
                        } catch {}
                        return true
                    }
                    group.addTask {
                        do {
                            for try await buffer in execution.standardError {
                                let bytes = buffer.withUnsafeBytes { Array($0) }
                                self.state.withLock { $0.noteErrors(bytes) }
                            }
                        } catch {}
                        return true
                    }
                    // Both outputs end when ssh does (a read that fails ends one the same way: the status says
                    // what happened); standard input stays open until then.
                    var ended = 0
                    while ended < 2, let output = await group.next() { if output { ended += 1 } }
                    group.cancelAll()
                }
            }
            state.withLock { $0.status = result.terminationStatus }
        } catch {
            state.withLock { $0.failure = error }
        }
        state.withLock { $0.ended = true }
        progress.continuation.finish()
    }

    /// Waits until the worker runs; false when the child ended first, or the caller was cancelled.
    func started() async -> Bool {
        for await _ in progress.stream { break }
        return outcome.started
    }

    /// Closes ssh's standard input: the script stops the worker.
    func close() {
        closing.continuation.finish()
    }

    /// Whether the child ended within `limit`.
    func ended(within limit: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while !outcome.ended, clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return outcome.ended
    }

    /// Ends the child (SIGTERM to its process group, SIGKILL 2 s later) and waits until it is gone.
    func end() async {
        state.withLock { $0.endedByMaster = true }
        let task = work.withLock { $0 }
        task?.cancel()
        await task?.value
    }
}
