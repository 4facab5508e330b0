import Foundation

/// Waits for the machine to be mostly idle before a heavy test starts: on two cores, Chromium, a master and its
/// workers beside the rest of the suite starve the tests that have time limits of seconds.
enum QuietMachine {
    /// Returns once the CPUs were at least `idleShare` idle over three consecutive seconds and the load average of
    /// the last minute is below `load`, or after `limit`. The parallel suites pause now and then (all waiting on
    /// timers at once); the minute's load average stays high through such a lull, so the browser suite does not
    /// start in one and starve the tests still running.
    static func wait(idleShare: Double = 0.6, load: Double = 2, limit: Duration = .seconds(300)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        var quietSeconds = 0
        var previous = try ticks()
        while try quietSeconds < 3 || loadAverage() >= load, clock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            let current = try ticks()
            let total = current.total - previous.total
            let idle = current.idle - previous.idle
            quietSeconds = total > 0 && Double(idle) / Double(total) >= idleShare ? quietSeconds + 1 : 0
            previous = current
        }
    }

    /// The load average of the last minute, from `/proc/loadavg`.
    private static func loadAverage() throws -> Double {
        let text = try String(contentsOfFile: "/proc/loadavg", encoding: .utf8)
        return Double(text.prefix { $0 != " " }) ?? 0
    }

    /// The CPUs' time so far, in clock ticks, from the first line of `/proc/stat`.
    private static func ticks() throws -> (idle: Int, total: Int) {
        let stat = try String(contentsOfFile: "/proc/stat", encoding: .utf8)
        let fields = stat.prefix { $0 != "\n" }.split(separator: " ").dropFirst().compactMap { Int($0) }
        // user nice system idle iowait ...: idle and iowait are the idle time.
        let idle = fields.dropFirst(3).prefix(2).reduce(0, +)
        return (idle, fields.reduce(0, +))
    }
}
