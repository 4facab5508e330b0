import ArgumentParser
import GantryCommandLine
import GantryConfig

extension GantryCommand {
    /// `gantry checkconfig FILE`: validate a master configuration without starting anything.
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkconfig",
            abstract: "Validate a master configuration file and list every error with its location."
        )

        @Argument(help: "The YAML configuration file.")
        var file: String

        func run() async throws {
            do {
                let config = try ConfigLoader.load(file: file)
                print(
                    "\(file): configuration is valid (master '\(config.name)', \(config.schedulers.count) schedulers)")
            } catch let error as ConfigError {
                throw CommandFailure(error.description)
            }
        }
    }
}
