import GantryModel
import Yams

/// Reads `collapseRequests`, at the top level (the default) or on a builder: `true` (Buildbot's rule), `false`
/// (a build per request), or the rule with options.
extension ConfigReader {
    /// `true`, `false` or `{ignoreProperties: [NAME], sameRevision: BOOL}` (collapsing, with scheduler properties
    /// NAME allowed to differ, and requests with changes also compared by revision); `nil` when absent or
    /// invalid (reported).
    mutating func collapseRule(_ node: Node?, at path: String) -> CollapseRule? {
        guard let node else { return nil }
        if let mapping = node.mapping {
            refuseUnknownKeys(mapping, allowed: ["ignoreProperties", "sameRevision"], at: path)
            return CollapseRule(
                ignoreProperties: Set(names(mapping["ignoreProperties"], at: join(path, "ignoreProperties"))),
                sameRevision: flag(mapping, "sameRevision", at: path) ?? false)
        }
        guard let collapses = node.bool else {
            problem(path, "must be true, false or {ignoreProperties: [NAME], sameRevision: BOOL}")
            return nil
        }
        return collapses ? .always : .never
    }
}
