import Foundation
import GantryTesting
import Testing

@Suite("Test backends", .paced)
struct BackendCoverageTests {
    /// CI must exercise PostgreSQL; a missing server there is a failure, not a silent skip.
    @Test("CI runs the storage suites on PostgreSQL as well as SQLite")
    func postgresInCI() {
        guard ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        #expect(TestBackend.enabled == [.sqlite, .postgres])
    }
}
