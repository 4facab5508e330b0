public import Logging

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Logging to standard error: for one-shot commands warnings and up, for the master and the worker `info` and
/// up, unless `GANTRY_LOG_LEVEL` says otherwise.
public enum CommandLogging {
    public static let logger = make("gantry", level: .warning)

    /// A long-running process's logger.
    public static func service(_ label: String) -> Logger {
        make(label, level: .info)
    }

    private static func make(_ label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        let requested = ProcessInfo.processInfo.environment["GANTRY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = requested ?? level
        return logger
    }
}
