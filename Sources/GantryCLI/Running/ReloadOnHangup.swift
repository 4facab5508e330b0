import GantryConfig
import GantryMaster
import GantryModel
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration file on SIGHUP (what `gantry reconfig` sends): a file with any error is refused
/// whole and the running configuration stays; a valid one goes to ``Master/apply(_:)``.
struct ReloadOnHangup: Service, CustomStringConvertible {
    let configPath: String
    let master: GantryMaster.Master
    let logger: Logger

    var description: String { "reload on SIGHUP" }

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            let next: MasterConfig
            do {
                next = try ConfigLoader.load(file: configPath)
            } catch let error as ConfigError {
                logger.error(
                    "reconfiguration refused; the running configuration stays",
                    metadata: [LogKey.configErrors: "\(error.problems.map(\.description))"])
                continue
            }
            logger.info("reloading the configuration", metadata: [LogKey.configFile: "\(configPath)"])
            await master.apply(next)
        }
    }
}
