import GantryModel

/// The keys Buildbot sends one event under. Buildbot routes an event by each path its resource is reachable at,
/// and its web UI subscribes by those paths (a build's page to `builds/2/steps/*/*`, a log viewer to
/// `steps/6/logs/*/*`), so the feed's one event (`steps/13/new`) goes out under each of them, in the order a
/// Buildbot 4.3 master sends them:
///
/// | event | keys |
/// | --- | --- |
/// | `builds/ID/E` | `builders/BUILDERID/builds/NUMBER/E`, `builds/ID/E`, `workers/WORKERID/builds/ID/E` |
/// | `steps/ID/E` | `builds/BUILDID/steps/ID/E`, `steps/ID/E` |
/// | `logs/ID/E` | `logs/ID/E`, `steps/STEPID/logs/SLUG/E` |
/// | `buildrequests/ID/E` | `buildsets/BSID/builders/BUILDERID/buildrequests/ID/E`, `buildrequests/ID/E`, `builders/BUILDERID/buildrequests/ID/E` |
///
/// The ids come from the event's payload (the resource); a key whose id the payload lacks (a build without a
/// worker) is left out. Any other event keeps its own key alone.
enum BuildbotEventKeys {
    /// The keys event `key` with `payload` is sent under, its own among them.
    static func keys(_ key: String, payload: JSONValue) -> [String] {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return [key] }
        let id = parts[1]
        let event = parts[2]
        func number(_ field: String) -> Int? { payload[field]?.integer }
        switch parts[0] {
        case "builds":
            return [
                number("builderid").flatMap { builder in
                    number("number").map { "builders/\(builder)/builds/\($0)/\(event)" }
                },
                key,
                number("workerid").map { "workers/\($0)/builds/\(id)/\(event)" },
            ].compactMap { $0 }
        case "steps":
            return [number("buildid").map { "builds/\($0)/steps/\(id)/\(event)" }, key].compactMap { $0 }
        case "logs":
            let slug = payload["slug"]?.string.flatMap { isSegment($0) ? $0 : nil }
            return [key, number("stepid").flatMap { step in slug.map { "steps/\(step)/logs/\($0)/\(event)" } }]
                .compactMap { $0 }
        case "buildrequests":
            let builder = number("builderid")
            return [
                number("buildsetid").flatMap { buildset in
                    builder.map { "buildsets/\(buildset)/builders/\($0)/buildrequests/\(id)/\(event)" }
                },
                key,
                builder.map { "builders/\($0)/buildrequests/\(id)/\(event)" },
            ].compactMap { $0 }
        default:
            return [key]
        }
    }

    /// Whether `text` can stand as one segment of a key.
    private static func isSegment(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("/")
    }
}
