import Foundation
import Logging
import ServiceLifecycle

/// Ends once the process that started the master is gone (`--exit-with-parent`), so a master started by a
/// supervisor that died, or by a test run that was killed, does not live on orphaned.
struct ParentWatch: Service, CustomStringConvertible {
    let logger: Logger

    var description: String { "parent watch" }

    func run() async throws {
        let parent = getppid()
        // Throws only CancellationError, when the master stops first: then there is nothing to watch.
        try? await cancelWhenGracefulShutdown {
            while getppid() == parent { try await Task.sleep(for: .milliseconds(500)) }
            logger.warning("the process that started this master is gone; stopping")
        }
    }
}
