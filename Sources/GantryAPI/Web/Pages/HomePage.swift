import Foundation
import GantryStorage
import Hummingbird

extension WebUI {
    /// Running builds shown on the home page; more are counted, not listed.
    static let homeRunningLimit = 50
    /// Finished builds shown on the home page.
    static let homeFinishedLimit = 20
    /// Builders with waiting requests shown on the home page, those waiting longest first.
    static let homeQueueLimit = 50

    /// `GET /`: what runs now (each build with its current step), the last builds to finish, and what waits
    /// (per builder, how many requests and how long the oldest has waited). A few statements whatever the size of
    /// the cluster's history.
    func addHomePages(to router: Router<APIRequestContext>) {
        router.get("/") { [self] _, _ -> Response in
            await rendering {
                let now = database.clock.now()
                let running = try await database.builds.getRunningBuilds(limit: Self.homeRunningLimit)
                let steps = try await database.steps.getCurrentSteps(buildids: running.items.map(\.id))
                let finished = try await database.builds.getFinishedBuilds(limit: Self.homeFinishedLimit)
                let queues = try await database.buildRequests.getQueues().values.sorted {
                    ($0.oldestSubmittedAt, $0.builderID) < ($1.oldestSubmittedAt, $1.builderID)
                }
                let runningRows = running.items.map { build in
                    Self.buildRow(build, now: now, activity: steps[build.id].map { "\($0.name): \($0.stateString)" })
                }
                let queueRows = queues.prefix(Self.homeQueueLimit).map { queue in
                    Self.item([
                        "builder": queue.builderName,
                        "builderHref": "/builders/\(queue.builderID)", "pending": queue.pending,
                        "waited": WebFormat.duration(from: queue.oldestSubmittedAt, to: now),
                        "since": WebFormat.time(queue.oldestSubmittedAt),
                    ])
                }
                return page(
                    "home", title: "Home", section: "home", feed: ["builds/*/*", "buildrequests/*/*"],
                    Self.context([
                        "running": ["rows": runningRows], "runningEmpty": runningRows.isEmpty,
                        "runningTotal": running.total,
                        "runningHidden": running.total > runningRows.count ? running.total - runningRows.count : nil,
                        "finished": ["rows": finished.map { Self.buildRow($0, now: now) }],
                        "finishedEmpty": finished.isEmpty,
                        "queues": queueRows, "queuesEmpty": queueRows.isEmpty,
                        "queuesHidden": queues.count > queueRows.count ? queues.count - queueRows.count : nil,
                    ]))
            }
        }
    }
}
