import Foundation
import GantryConfig
import GantryModel
import Testing

/// `retention`: how long finished builds and their logs are kept.
@Suite("ConfigLoader: retention")
struct RetentionConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    @Test("absent keeps everything; each horizon alone works; the interval defaults to an hour")
    func defaults() throws {
        #expect(try loader.parse("{}").retention == nil)
        #expect(
            try loader.parse("retention: {builds: 90d}").retention
                == RetentionSettings(builds: .seconds(90 * 86_400), interval: .seconds(3600)))
        #expect(
            try loader.parse("retention: {logs: 12h, interval: 10m}").retention
                == RetentionSettings(logs: .seconds(12 * 3600), interval: .seconds(600)))
        // Logs kept longer than their builds is allowed: they go with the builds.
        #expect(try loader.parse("retention: {logs: 400d, builds: 365d}").retention?.logs == .seconds(400 * 86_400))
    }

    @Test("the logs' horizon is the later of the two, since the builds that go take their logs along")
    func cutoffs() {
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        let both = RetentionSettings(logs: .seconds(10), builds: .seconds(100))
        #expect(both.logsCutoff(at: now) == now.addingTimeInterval(-10))
        #expect(both.buildsCutoff(at: now) == now.addingTimeInterval(-100))
        let buildsOnly = RetentionSettings(builds: .seconds(100))
        #expect(buildsOnly.logsCutoff(at: now) == now.addingTimeInterval(-100))
        #expect(RetentionSettings(logs: .seconds(10)).buildsCutoff(at: now) == nil)
    }

    @Test(
        "a broken retention is refused with a located reason",
        arguments: [
            ("retention: 30d", "retention: must be a mapping like {logs: 30d, builds: 365d, interval: 1h}"),
            ("retention: {}", "retention: says how long to keep logs, builds or both, like {logs: 30d, builds: 365d}"),
            ("retention: {interval: 1h}", "retention: says how long to keep logs, builds or both"),
            ("retention: {logs: 0d}", "retention.logs: must be positive"),
            ("retention: {logs: -1d}", "retention.logs: must be a duration like 30d, 12h or 90m"),
            ("retention: {builds: soon}", "retention.builds: must be a duration like 30d, 12h or 90m"),
            ("retention: {builds: 1.5d}", "retention.builds: must be a duration like 30d, 12h or 90m"),
            ("retention: {builds: 30d, interval: 0s}", "retention.interval: must be positive"),
            (
                "retention: {builds: 30d, keep: 3}",
                "retention.keep: unknown key (expected one of: builds, interval, logs)"
            ),
        ])
    func refused(_ yaml: String, _ problem: String) {
        do {
            _ = try loader.parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch let error as ConfigError {
            let problems = error.problems.map(\.description)
            #expect(problems.contains { $0.hasPrefix(problem) }, "\(problems)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("days are a unit for retention only", arguments: [("30d", 30 * 86_400), ("1h", 3600), ("0d", 0)])
    func days(_ text: String, _ seconds: Int) {
        #expect(DurationText.parse(text, days: true) == .seconds(seconds))
        #expect((DurationText.parse(text) == nil) == text.hasSuffix("d"))
    }
}
