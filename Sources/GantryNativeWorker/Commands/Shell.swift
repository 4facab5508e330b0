import GantryWire
import Subprocess
import SystemPackage

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

extension Commands {
    /// How long an interrupted command has after SIGTERM before its process group is killed.
    static let interruptGrace = Duration.seconds(5)

    /// `shell`: runs `command` (a text for `/bin/sh -c`, or an argument vector) in `workdir` (created when
    /// missing) with `env` added, in a session of its own so that an interrupt, a timeout or its end reaches
    /// every process it started. Output is streamed as `stdout`/`stderr` updates; `rc` and `elapsed` end it.
    static let shell = Command(name: "shell", required: ["workdir", "command"]) { context in
        let args = context.args
        guard let workdir = args["workdir"]?.stringValue else { return "shell: workdir must be a text" }
        let executable: Executable
        let arguments: [String]
        let shown: String
        switch args["command"] {
        case .string(let text)?:
            (executable, arguments, shown) = (.path("/bin/sh"), ["-c", text], text)
        case .array(let words)? where !words.isEmpty && words.allSatisfy({ $0.stringValue != nil }):
            let words = words.compactMap(\.stringValue)
            (executable, arguments, shown) = (
                program(words[0], in: workdir), Array(words.dropFirst()), words.joined(separator: " ")
            )
        default:
            return "shell: command must be a text or a list of texts"
        }
        var environment: [Environment.Key: String?] = [:]
        if case .map(let entries)? = args["env"] {
            for entry in entries {
                guard let key = entry.key.stringValue else { continue }
                environment[Environment.Key(stringLiteral: key)] = entry.value.stringValue
            }
        }
        // A directory that cannot be made fails the start below, which reports why.
        try? FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        await context.updates.write("\(shown)\n in dir \(workdir)\n", to: "header")

        var options = PlatformOptions()
        options.createSession = true
        let configuration = Configuration(
            executable: executable, arguments: Arguments(arguments), environment: .inherit.updating(environment),
            workingDirectory: FilePath(workdir), platformOptions: options)
        let clock = ContinuousClock()
        let started = clock.now
        let watch = OutputWatch(
            timeout: args["timeout"]?.doubleValue.flatMap(Duration.clamped(seconds:)),
            maxTime: args["maxTime"]?.doubleValue.flatMap(Duration.clamped(seconds:)), started: started)
        do {
            let result = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) {
                execution in
                let group = execution.processIdentifier.value
                let stop: @Sendable (String) -> Void = { _ in
                    kill(-group, SIGTERM)
                    Task {
                        try? await Task.sleep(for: interruptGrace)
                        kill(-group, SIGKILL)
                    }
                }
                context.running.whenInterrupted(stop)
                let watchdog = Task {
                    if let why = await watch.expiry() {
                        context.running.interrupt(why)
                        kill(-group, SIGKILL)
                    }
                }
                defer { watchdog.cancel() }
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await forward(execution.standardOutput, to: "stdout", context, watch) }
                    tasks.addTask { try await forward(execution.standardError, to: "stderr", context, watch) }
                    try await tasks.waitForAll()
                }
                await context.updates.closeLines()
                // Tools close their output just before they exit, so the end of output is not the end of the
                // command; once it has exited, whatever it left running in its session ends with it.
                await waitForExit(of: group)
                kill(-group, SIGKILL)
            }
            if let why = context.running.interruption { await context.updates.write("\(why)\n", to: "header") }
            let rc: Int =
                switch result.terminationStatus {
                case .exited(let code): Int(code)
                case .signaled(let signal): -Int(signal)
                }
            await context.updates.add("rc", .int(Int64(rc)))
        } catch {
            await context.exit(-1, stderr: "cannot run \(shown): \(error)\n")
        }
        let elapsed = (clock.now - started).components
        await context.updates.add(
            "elapsed", .double(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18))
        return nil
    }

    /// Sends a stream's output as it arrives, decoded across chunk boundaries.
    private static func forward(
        _ output: SubprocessOutputSequence, to stream: String, _ context: CommandContext, _ watch: OutputWatch
    ) async throws {
        var decoder = UTF8StreamDecoder()
        for try await chunk in output {
            await watch.touch()
            let text = chunk.withUnsafeBytes { decoder.decode($0) }
            if !text.isEmpty { await context.updates.write(text, to: stream) }
        }
        let rest = decoder.finish()
        if !rest.isEmpty { await context.updates.write(rest, to: stream) }
    }

    /// A list command's program: a name with a slash is a path, a relative one taken from `workdir` as
    /// Buildbot does; a bare name is looked up in PATH.
    private static func program(_ name: String, in workdir: String) -> Executable {
        guard name.contains("/") else { return .name(name) }
        let directory = FilePath(FileManager.default.currentDirectoryPath).pushing(FilePath(workdir))
        return .path(directory.pushing(FilePath(name)))
    }

    /// Waits until process `pid` has exited, without reaping it: until it is reaped its id still names its
    /// process group, so killing that group afterwards cannot reach an unrelated one.
    private static func waitForExit(of pid: pid_t) async {
        var pause = Duration.milliseconds(1)
        while !Task.isCancelled {
            var info = siginfo_t()
            let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if (rc == 0 && info.si_signo != 0) || (rc == -1 && errno != EINTR) { return }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }
}

/// When a shell command has gone too long without output (`timeout`) or in all (`maxTime`).
actor OutputWatch {
    private let timeout: Duration?
    private let maxTime: Duration?
    private let started: ContinuousClock.Instant
    private var lastOutput: ContinuousClock.Instant

    init(timeout: Duration?, maxTime: Duration?, started: ContinuousClock.Instant) {
        self.timeout = timeout
        self.maxTime = maxTime
        self.started = started
        lastOutput = started
    }

    func touch() { lastOutput = .now }

    /// Waits until a limit is passed and says which; nil when cancelled first.
    func expiry() async -> String? {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if let maxTime, now - started >= maxTime {
                return "command timed out: \(maxTime.wholeSeconds) seconds elapsed"
            }
            if let timeout, now - lastOutput >= timeout {
                return "command timed out: \(timeout.wholeSeconds) seconds without output"
            }
            guard (try? await Task.sleep(for: .milliseconds(250))) != nil else { return nil }
        }
        return nil
    }
}
