public import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Native workers as child processes of the master (`gantry worker`), each in `basedir/NAME`. They are started
/// through swift-subprocess, which gives them a clean signal mask, so SIGTERM reaches them, and they stop by
/// themselves when the master is gone (even SIGKILLed).
public struct LocalProvisioner: WorkerProvisioner {
    /// The `gantry` executable.
    public let executable: String
    public let basedir: URL

    public init(executable: String, basedir: URL) {
        self.executable = executable
        self.basedir = basedir
    }

    public func start(name: String, password: String, master: String) async throws -> any ProvisionedWorker {
        let directory = basedir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let passwordFile = directory.appendingPathComponent(".password")
        try (password + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
        let configuration = Configuration(
            executable: .path(FilePath(executable)),
            arguments: [
                "worker", "--master", master, "--name", name, "--password-file", passwordFile.path, "--basedir",
                directory.appendingPathComponent("work").path, "--exit-with-parent",
            ])
        let log = directory.appendingPathComponent("worker.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileDescriptor.open(FilePath(log.path), .writeOnly, options: [.append])
        let worker = LocalWorker()
        let (started, didStart) = AsyncStream<Void>.makeStream()
        Task {
            _ = try? await Subprocess.run(
                configuration, input: .none, output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                error: .combinedWithOutput
            ) { execution in
                worker.pid.store(execution.processIdentifier.value, ordering: .relaxed)
                didStart.yield()
            }
            worker.exited.store(true, ordering: .relaxed)
            didStart.finish()
        }
        // Waited for in a task of its own: a cancelled caller must still get the worker it started, to stop it.
        await Task { for await _ in started { break } }.value
        guard worker.pid.load(ordering: .relaxed) != 0 else { throw CocoaError(.executableLoad) }
        return worker
    }
}

/// A `gantry worker` child process.
final class LocalWorker: ProvisionedWorker {
    let pid = Atomic<pid_t>(0)
    let exited = Atomic<Bool>(false)

    var hasExited: Bool { exited.load(ordering: .relaxed) }

    /// SIGTERM (the worker interrupts its commands and waits for them), then SIGKILL after 10 s.
    func stop() async {
        let pid = pid.load(ordering: .relaxed)
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while !hasExited, clock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if !hasExited { kill(pid, SIGKILL) }
        while !hasExited { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
