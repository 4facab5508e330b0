import Foundation
import GantryTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How a test's poller reaches the repository.
enum Transport: String, CaseIterable, CustomStringConvertible {
    /// A `file://` URL.
    case file
    /// `git://` from a `git daemon` on the loopback.
    case daemon

    var description: String { rawValue }

    /// Runs `body` with the URL `repository` has over this transport; a daemon runs only while `body` does.
    func withURL<T>(
        of repository: TestRepository, isolation: isolated (any Actor)? = #isolation, _ body: (String) async throws -> T
    ) async throws -> T {
        switch self {
        case .file:
            return try await body(repository.fileURL)
        case .daemon:
            return try await withGitDaemon(serving: repository) { port in
                try await body("git://127.0.0.1:\(port)/upstream")
            }
        }
    }
}

/// Runs `body` with the port of a `git daemon` that serves `repository` (and its siblings) on the loopback, and
/// stops the daemon however `body` ends.
func withGitDaemon<T>(
    serving repository: TestRepository, isolation: isolated (any Actor)? = #isolation,
    _ body: (Int) async throws -> T
) async throws -> T {
    let port = try freeLocalPort()
    let process = Process()
    // The daemon itself, not `git daemon`, which runs it as a child that would outlive the stop.
    let execPath = try await repository.git("--exec-path").trimmingCharacters(in: .whitespacesAndNewlines)
    process.executableURL = URL(fileURLWithPath: execPath).appendingPathComponent("git-daemon")
    process.arguments = [
        "--export-all", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)",
        "--base-path=\(repository.root.path)",
    ]
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    process.standardError = FileHandle(forWritingAtPath: "/dev/null")
    let exited = try process.start()
    func stop() async {
        // SIGKILL: the daemon inherits the test process's blocked signals, SIGTERM among them.
        kill(process.processIdentifier, SIGKILL)
        for await _ in exited {}
    }
    do {
        let url = "git://127.0.0.1:\(port)/upstream"
        let listening = await waitUntil { (try? await repository.git("ls-remote", "--", url)) != nil }
        try #require(listening, "git daemon did not start serving on port \(port)")
        let result = try await body(port)
        await stop()
        return result
    } catch {
        await stop()
        throw error
    }
}
