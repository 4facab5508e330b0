import Foundation
import GantryStorage

extension WebUI {
    /// A build's row in a `build_table` (the partial renders the `rows` of its context): its number linked to
    /// its page, its builder, worker, state and times. `activity` replaces the build's state string (a running
    /// build's current step).
    static func buildRow(_ build: BuildsConnector.Summary, now: Date, activity: String? = nil) -> [String: Any] {
        item([
            "buildHref": buildPath(build), "number": build.number,
            "builder": build.builderName, "builderHref": "/builders/\(build.builderID)",
            "worker": build.workerName, "workerHref": build.workerID.map(workerPath),
            "state": WebFormat.state(build.results, complete: build.completeAt != nil),
            "stateString": activity ?? build.stateString,
            "started": WebFormat.time(build.startedAt),
            "duration": WebFormat.duration(from: build.startedAt, to: build.completeAt ?? now),
        ])
    }

    /// The page of `build`: by its builder and number, the address Buildbot's pages use.
    static func buildPath(_ build: BuildsConnector.Summary) -> String {
        "/builders/\(build.builderID)/builds/\(build.number)"
    }

    /// Where the workers page shows worker `id`.
    static func workerPath(_ id: Int) -> String {
        "/workers#worker-\(id)"
    }
}
