import Foundation

/// A process running a Python tool's entry point (buildbot, buildbot-worker) from its virtual environment.
///
/// Threads of the test process block signals, and a child inherits the mask: Twisted's reactor would then miss
/// SIGCHLD and sometimes never see a command's process exit. The environment's own Python clears the mask
/// before becoming the tool.
/// - Parameter environment: Added to the few variables the tool gets (`SSL_CERT_FILE`, say).
func pythonTool(
    _ executable: String, _ arguments: [String], home: URL, output: URL, environment: [String: String] = [:]
) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(
        "python3")
    process.arguments =
        [
            "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            executable,
        ] + arguments
    process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home.path, "TZ": "UTC"]
        .merging(environment) { $1 }
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = try FileHandle(forWritingTo: output)
    return process
}
