import Foundation
import GantryTesting
import Testing

@Suite("Worker test peers", .paced)
struct WorkerPeersCoverageTests {
    /// CI must run the protocol tests against a real buildbot-worker and a real Buildbot master; a missing
    /// one there is a failure.
    @Test("CI provides buildbot-worker 4.3 and a Buildbot 4.3 master")
    func buildbotInCI() {
        guard ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        #expect(BuildbotWorkerProcess.executable != nil)
        #expect(BuildbotMasterProcess.executable != nil)
    }
}
