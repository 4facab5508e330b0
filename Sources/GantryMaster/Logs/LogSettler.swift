import Foundation
package import GantryModel
package import GantryStorage
package import Logging
import ServiceLifecycle

/// Settles the logs finished on this master in the background (``LogsConnector/settleLog(_:storage:)``): merged
/// into larger chunks in the database, or moved into files, one log at a time. A step ends as soon as its command
/// does, however large its log; the merge of a 1 GB log takes tens of seconds.
///
/// It wakes when a log finishes here and at least every ``poll``, which also picks up the logs of masters that
/// stopped or died before settling theirs. A graceful shutdown interrupts the log being settled: it stays readable
/// as stored, and is settled at the next start, or by another master.
package struct LogSettler: Service {
    let storage: LogStorage
    let masterID: Int
    private let database: Database
    private let clock: any Clock<Duration>
    private let logger: Logger

    /// How often the settler looks for logs without being woken.
    static let poll: Duration = .seconds(60)
    /// The logs looked up at once.
    static let batch = 20

    /// - Throws: When the storage's directory cannot be written to: a master that could not settle its logs must
    ///   not start.
    package init(
        storage: LogStorage, masterID: Int, database: Database, clock: any Clock<Duration>, logger: Logger
    ) throws {
        if case .files(let directory) = storage, !FileManager.default.isWritableFile(atPath: directory) {
            throw GantryError(.invalidArgument, "logStorage.directory '\(directory)' cannot be written to")
        }
        self.storage = storage
        self.masterID = masterID
        self.database = database
        self.clock = clock
        var logger = logger
        logger[metadataKey: LogKey.service] = "logs"
        self.logger = logger
    }

    package func run() async {
        let wakeups = database.notifier.wakeups(for: [.logsFinished], poll: Self.poll, clock: clock)
        // Cancelled at a graceful shutdown, mid-log too.
        await cancelWhenGracefulShutdown {
            for await _ in wakeups { await settleWaiting() }
        }
    }

    /// Settles every log waiting, in order; a log that cannot be settled is logged and passed over until the next
    /// wake-up.
    private func settleWaiting() async {
        var after = 0
        while !Task.isCancelled {
            let logs: [Int]
            do {
                logs = try await database.logs.logsToSettle(masterid: masterID, after: after, limit: Self.batch)
            } catch {
                if !Task.isCancelled {
                    logger.warning(
                        "finished logs not looked up; trying again later", metadata: [LogKey.error: "\(error)"])
                }
                return
            }
            guard let last = logs.last else { return }
            for log in logs where !Task.isCancelled {
                do {
                    let settlement = try await database.logs.settleLog(log, storage: storage)
                    logger.debug("log settled", metadata: [LogKey.log: "\(log)", LogKey.detail: "\(settlement)"])
                } catch {
                    guard !Task.isCancelled else { return }
                    logger.warning(
                        "log not settled; it stays readable as stored, and is tried again later",
                        metadata: [LogKey.log: "\(log)", LogKey.error: "\(error)"])
                }
            }
            // A log finishing meanwhile wakes the settler again.
            if logs.count < Self.batch { return }
            after = last
        }
    }
}

/// The service group and the logs name the settler.
extension LogSettler: CustomStringConvertible {
    package var description: String { "log settler" }
}
