public import Logging
import Synchronization

/// Keeps the messages a logger is given, for tests that check what was logged (or that something was not).
public final class LogCapture: Sendable {
    private let level: Logger.Level
    private let kept = Mutex<[String]>([])

    /// - Parameter level: The lowest level kept.
    public init(level: Logger.Level = .trace) {
        self.level = level
    }

    /// A logger whose messages, and those of loggers made from it, are kept here.
    public var logger: Logger {
        Logger(label: "gantry.test") { [self] _ in Handler(capture: self, logLevel: level) }
    }

    /// The messages kept so far, in order.
    public var messages: [String] { kept.withLock { $0 } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.kept.withLock { $0.append(event.message.description) }
        }
    }
}
