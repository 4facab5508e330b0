import Foundation

/// Waits for the machine to be mostly idle before a heavy test starts: on two cores, Chromium, a master and its
/// workers beside the rest of the suite starve the tests that have time limits of seconds.
enum QuietMachine {
    /// Returns once the CPUs were at least `idleShare` idle over two consecutive seconds, or after `limit`.
    static func wait(idleShare: Double = 0.6, limit: Duration = .seconds(240)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        var quietSeconds = 0
        var previous = try ticks()
        while quietSeconds < 2, clock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            let current = try ticks()
            let total = current.total - previous.total
            let idle = current.idle - previous.idle
            quietSeconds = total > 0 && Double(idle) / Double(total) >= idleShare ? quietSeconds + 1 : 0
            previous = current
        }
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
