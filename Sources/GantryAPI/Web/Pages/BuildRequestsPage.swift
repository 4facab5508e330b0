import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// `GET /buildrequests`: the requests waiting for a build, newest first and paged, each with its builder,
    /// buildset reason, priority, claim, time waited and the build it was merged into (collapsed), and a form to
    /// cancel it (posted to `/ui/buildrequests/{id}/cancel`); `?complete=true` lists the finished ones with their
    /// results instead.
    func addBuildRequestPages(to router: Router<APIRequestContext>) {
        router.get("/buildrequests") { [self] request, _ -> Response in
            await rendering {
                let complete = try Self.completeOption(request)
                let (requests, paging) = try await paged(request) { offset, limit in
                    try await database.buildRequests.getBuildRequestPage(
                        complete: complete, offset: offset, limit: limit)
                }
                let now = database.clock.now()
                let filters: [[String: Any]] = [
                    ["label": "Waiting", "href": "/buildrequests", "current": !complete],
                    ["label": "Finished", "href": "/buildrequests?complete=true", "current": complete],
                ]
                return page(
                    "buildrequests", title: complete ? "Finished build requests" : "Build requests",
                    section: "buildrequests", feed: ["buildrequests/*/*"],
                    [
                        "requests": requests.map { Self.requestRow($0, now: now) }, "empty": requests.isEmpty,
                        "complete": complete, "filters": filters, "returnTo": request.uri.string, "paging": paging,
                    ])
            }
        }
    }

    private static func requestRow(_ request: BuildRequestsConnector.Listed, now: Date) -> [String: Any] {
        var row: [String: Any] = [
            "id": request.id, "builder": request.builderName, "builderHref": "/builders/\(request.builderID)",
            "reason": request.reason ?? "", "priority": request.priority,
            "submitted": WebFormat.time(request.submittedAt),
            "claimed": request.claimedByMasterID != nil,
            "claimedBy": request.claimedByMasterName ?? request.claimedByMasterID.map { "master \($0)" } ?? "",
            "claimedAt": request.claimedAt.map(WebFormat.time) ?? "",
            "waited": WebFormat.duration(from: request.submittedAt, to: request.completeAt ?? now),
            // Waiting, building (claimed) or finished with its result.
            "state": WebFormat.state(
                request.results, complete: request.completeAt != nil, started: request.claimedByMasterID != nil),
        ]
        // Collapsed into another request: the build of that one, once started.
        if let target = request.collapsedInto {
            row["mergedInto"] = item([
                "mergedRequest": target, "mergedBuildHref": request.collapsedIntoBuildID.map { "/builds/\($0)" },
                "mergedBuildNumber": request.collapsedIntoBuildNumber,
            ])
        }
        return row
    }

    /// `?complete=true` or `false`; waiting requests when absent.
    private static func completeOption(_ request: Request) throws -> Bool {
        let text = WebForm(query: request).text("complete") ?? "false"
        switch text {
        case "false": return false
        case "true": return true
        default: throw WebRefusal(.badRequest, "'complete' must be true or false, not '\(text)'")
        }
    }
}
