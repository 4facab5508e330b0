import GantryTesting
import Testing

@testable import GantryBuilds

@Suite("CommandWatchdog", .paced)
struct CommandWatchdogTests {
    let start = ContinuousClock.now

    private func at(_ seconds: Int) -> ContinuousClock.Instant { start.advanced(by: .seconds(seconds)) }

    @Test("a command heard from in time is never interrupted; silence is counted from the last report")
    func heard() {
        var watchdog = CommandWatchdog(silence: .seconds(100), grace: .seconds(30), startedAt: start)
        #expect(watchdog.check(at: at(50)) == .wait(until: at(100)))
        watchdog.heard(at: at(90))
        #expect(watchdog.check(at: at(150)) == .wait(until: at(190)))
        #expect(watchdog.check(at: at(189)) == .wait(until: at(190)))
    }

    @Test("silent too long: interrupted once, then given up after the grace unless the worker reports")
    func silent() {
        var watchdog = CommandWatchdog(silence: .seconds(100), grace: .seconds(30), startedAt: start)
        #expect(watchdog.check(at: at(100)) == .interrupt)
        #expect(watchdog.check(at: at(110)) == .wait(until: at(130)))
        #expect(watchdog.check(at: at(130)) == .abandon)

        var answered = CommandWatchdog(silence: .seconds(100), grace: .seconds(30), startedAt: start)
        #expect(answered.check(at: at(100)) == .interrupt)
        answered.heard(at: at(105))
        #expect(answered.check(at: at(140)) == .wait(until: at(205)))
    }
}
