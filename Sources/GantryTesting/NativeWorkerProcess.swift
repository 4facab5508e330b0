public import Foundation

/// A `gantry worker` child process connecting to a master's worker port, with its base directory under
/// `directory` and its log in `<name>.log` there.
public final class NativeWorkerProcess: GantryChildOwner {
    public let basedir: URL
    public let child: GantryChild

    /// - Parameters:
    ///   - masterHost: The host of `--master`.
    ///   - arguments: Added to the command's (`--tls`, `--ca FILE`).
    public init(
        name: String, password: String, masterPort: Int, directory: URL, masterHost: String = "127.0.0.1",
        arguments: [String] = []
    ) throws {
        basedir = directory.appendingPathComponent(name)
        let passwordFile = directory.appendingPathComponent("\(name).pass")
        try (password + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
        child = try GantryChild(
            arguments: [
                "worker", "--master", "\(masterHost):\(masterPort)", "--name", name, "--password-file",
                passwordFile.path, "--basedir", basedir.path, "--exit-with-parent",
            ] + arguments, log: directory.appendingPathComponent("\(name).log"))
    }
}
