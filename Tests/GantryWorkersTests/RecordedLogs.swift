import Logging
import Synchronization

/// Keeps every log record with its level and metadata, to check what the port says about a connection it
/// closed, and whom it names.
final class RecordedLogs: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let kept = Mutex<[Record]>([])

    /// A logger at trace level whose records are kept here.
    var logger: Logger {
        Logger(label: "gantry.test") { [self] _ in Handler(logs: self) }
    }

    /// The records kept so far, in order.
    var records: [Record] { kept.withLock { $0 } }

    private struct Handler: LogHandler {
        let logs: RecordedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            let record = Record(level: event.level, message: event.message.description, metadata: merged)
            logs.kept.withLock { $0.append(record) }
        }
    }
}
