import GantryModel
import Yams

extension ConfigReader {
    /// `retention: {logs: 30d, builds: 365d, interval: 1h}`: what the janitor deletes, and how often it looks;
    /// `nil` when absent, and nothing is deleted. Naming neither `logs` nor `builds` is an error: it would run a
    /// janitor with nothing to do.
    mutating func retention(_ node: Node?) -> RetentionSettings? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            problem("retention", "must be a mapping like {logs: 30d, builds: 365d, interval: 1h}")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: ["logs", "builds", "interval"], at: "retention")
        if mapping["logs"] == nil && mapping["builds"] == nil {
            problem("retention", "says how long to keep logs, builds or both, like {logs: 30d, builds: 365d}")
        }
        var settings = RetentionSettings(
            logs: duration(mapping, "logs", at: "retention", days: true),
            builds: duration(mapping, "builds", at: "retention", days: true))
        settings.interval = duration(mapping, "interval", at: "retention", days: true) ?? settings.interval
        return settings
    }
}
