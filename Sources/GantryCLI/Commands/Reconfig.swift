import ArgumentParser
import Foundation
import GantryCommandLine
import GantryConfig

extension GantryCommand {
    /// `gantry reconfig --config FILE`: check the file, then ask the master running it to reload (SIGHUP).
    struct Reconfig: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a running master to reload its configuration (as SIGHUP does).",
            discussion: """
                The file is checked first; a configuration with errors is not sent, and a running master also \
                refuses one whole and keeps its configuration. The master is found through the .pid file the \
                master keeps beside its configuration.
                """
        )

        @Option(help: "The running master's YAML configuration file.")
        var config: String

        func run() throws {
            do {
                _ = try ConfigLoader.load(file: config)
            } catch let error as ConfigError {
                throw CommandFailure(error.description)
            }
            let pidFile = PIDFile(configPath: config)
            guard let pid = pidFile.read(), kill(pid, 0) == 0 else {
                throw CommandFailure("no master is running with \(config) (no live process in \(pidFile.path))")
            }
            guard kill(pid, SIGHUP) == 0 else { throw CommandFailure("cannot signal master process \(pid)") }
            print("asked master \(pid) to reload \(config)")
        }
    }
}
