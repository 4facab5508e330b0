import Foundation
import GantryTesting
import Testing

@Suite("Worker test peers")
struct WorkerPeersCoverageTests {
    /// CI must run the protocol tests against a real buildbot-worker; a missing one there is a failure.
    @Test("CI provides buildbot-worker 4.3")
    func buildbotWorkerInCI() {
        guard ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        #expect(BuildbotWorkerProcess.executable != nil)
    }
}
