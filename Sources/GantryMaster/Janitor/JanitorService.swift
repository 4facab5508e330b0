import Foundation
import GantryCluster
package import GantryModel
package import GantryStorage
package import Logging

/// Deletes what the retention settings no longer keep, as a clustered service: one master at a time runs the
/// passes, and another takes over when it stops or dies. A pass runs once the claim is won, then every `interval`;
/// each is logged with what it deleted. A pass by a master that lost the claim stops at its next batch.
package final class JanitorService: ClusteredServiceBehavior {
    /// The one janitor of a cluster, whichever master runs it.
    package static let serviceName = "janitor"

    package var kind: ServiceKind { .janitor }
    package var name: String { Self.serviceName }

    let settings: RetentionSettings
    private let database: Database
    private let clock: any Clock<Duration>
    private let logger: Logger

    /// - Parameter clock: What the time between passes is counted on.
    package init(settings: RetentionSettings, database: Database, clock: any Clock<Duration>, logger: Logger) {
        self.settings = settings
        self.database = database
        self.clock = clock
        var logger = logger
        logger[metadataKey: LogKey.service] = "\(ServiceKind.janitor.rawValue):\(Self.serviceName)"
        self.logger = logger
    }

    package func runWhileActive(fence: ClaimFence) async {
        // Kept for as long as this master holds the claim: each pass visits only what finished since the last.
        var progress = RetentionProgress()
        while await pass(fence, &progress) {
            guard (try? await clock.sleep(for: settings.interval)) != nil else { return }
        }
    }

    /// Runs one pass and logs it. Returns whether the janitor goes on: not once its claim is gone or it is cancelled;
    /// after any other failure it tries again at the next pass.
    private func pass(_ fence: ClaimFence, _ progress: inout RetentionProgress) async -> Bool {
        let started = database.clock.now()
        do {
            let report = try await database.retention().deleteOld(settings, progress: &progress, fence: fence)
            let seconds = (database.clock.now().timeIntervalSince(started) * 10).rounded() / 10
            logger.info("retention pass finished", metadata: [LogKey.detail: "\(report); took \(seconds) s"])
            return true
        } catch let error as GantryError where error.code == .fenced {
            logger.warning("the janitor's claim is no longer current; it stops", metadata: [LogKey.error: "\(error)"])
            return false
        } catch {
            if Task.isCancelled { return false }
            logger.error("retention pass failed; the next one tries again", metadata: [LogKey.error: "\(error)"])
            return true
        }
    }
}

/// The service group and the logs name the janitor.
extension JanitorService: CustomStringConvertible {
    package var description: String { Self.serviceName }
}
