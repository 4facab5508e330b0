public import Foundation

/// A `gantry master` child process with a configuration of its own, for cluster tests that kill and pause
/// real masters.
public final class MasterProcess: GantryChildOwner {
    public let name: String
    public let child: GantryChild

    /// Writes `config` into `directory` and starts `gantry master` on it; standard error goes to `<name>.log`.
    /// - Parameter environment: Added to the test process's environment for the master.
    public init(name: String, config: String, directory: URL, environment: [String: String] = [:]) throws {
        self.name = name
        let file = directory.appendingPathComponent("\(name).yaml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        child = try GantryChild(
            arguments: ["master", "--config", file.path, "--exit-with-parent"],
            log: directory.appendingPathComponent("\(name).log"), environment: environment)
    }

    /// The port of the master's HTTP API, read from its log once it listens; `nil` if it never does within
    /// `attempts` looks 50 ms apart.
    public func httpPort(attempts: Int = 400) async throws -> Int? {
        try await loggedPort("gantry.http.address=", attempts: attempts)
    }

    /// The port workers connect to, read from the master's log once it listens.
    public func workerPort(attempts: Int = 400) async throws -> Int? {
        try await loggedPort("gantry.worker_port=", attempts: attempts)
    }

    private func loggedPort(_ marker: String, attempts: Int) async throws -> Int? {
        for _ in 0..<attempts {
            let text = logText
            if let start = text.range(of: marker)?.upperBound {
                let address = text[start...].prefix { !$0.isWhitespace }
                if let colon = address.lastIndex(of: ":") { return Int(address[address.index(after: colon)...]) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}
