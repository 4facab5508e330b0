import Foundation
import Logging

/// Logging for one-shot commands: to standard error, warnings and up unless `GANTRY_LOG_LEVEL` says otherwise.
enum CommandLogging {
    static let logger: Logger = {
        var logger = Logger(label: "gantry") { StreamLogHandler.standardError(label: $0) }
        let requested = ProcessInfo.processInfo.environment["GANTRY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = requested ?? .warning
        return logger
    }()
}
