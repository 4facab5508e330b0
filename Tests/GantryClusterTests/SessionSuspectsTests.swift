import GantryTesting
import Testing

@testable import GantryCluster

@Suite("SessionSuspects", .paced)
struct SessionSuspectsTests {
    let start = ContinuousClock.now

    private func at(_ seconds: Double) -> ContinuousClock.Instant { start.advanced(by: .seconds(seconds)) }

    @Test("a peer without its lock is expired once seen so for the confirmation, over two checks")
    func confirmed() {
        var suspects = SessionSuspects(confirmation: .seconds(2))
        #expect(suspects.observed(lockless: [7], ownLockSince: at(-10), at: at(0)).isEmpty)
        #expect(suspects.observed(lockless: [7], ownLockSince: at(-10), at: at(1)).isEmpty)
        #expect(suspects.observed(lockless: [7], ownLockSince: at(-10), at: at(2)) == [7])
    }

    @Test("a peer whose lock blinked (seen with it again) starts over")
    func blinked() {
        var suspects = SessionSuspects(confirmation: .seconds(2))
        _ = suspects.observed(lockless: [7], ownLockSince: at(-10), at: at(0))
        _ = suspects.observed(lockless: [], ownLockSince: at(-10), at: at(1))
        #expect(suspects.observed(lockless: [7], ownLockSince: at(-10), at: at(2)).isEmpty)
        #expect(suspects.observed(lockless: [7], ownLockSince: at(-10), at: at(4)) == [7])
    }

    @Test("no peer is expired while this master's own lock is not held, or only just taken again")
    func ownLock() {
        var suspects = SessionSuspects(confirmation: .seconds(2))
        _ = suspects.observed(lockless: [7, 8], ownLockSince: nil, at: at(0))
        #expect(suspects.observed(lockless: [7, 8], ownLockSince: nil, at: at(5)).isEmpty)
        #expect(suspects.observed(lockless: [7, 8], ownLockSince: at(5), at: at(6)).isEmpty)
        #expect(suspects.observed(lockless: [7, 8], ownLockSince: at(5), at: at(7)) == [7, 8])
        suspects.forget(7)
        #expect(suspects.observed(lockless: [7, 8], ownLockSince: at(5), at: at(8)) == [8])
    }
}
