import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// `GET /builders`: the builders by name, 50 a page (`?page=N`), narrowed by `?q=` (part of the name, any
    /// case) and `?tag=`, with every tag as a link; each with its tags, its newest build's result and time, and how
    /// many builds run and requests wait. The builders are read whole (one transaction) and filtered here; what
    /// each row shows is read for the page's builders only, in three grouped statements, so a page costs the same
    /// with four builders or four thousand.
    func addBuilderListPages(to router: Router<APIRequestContext>) {
        router.get("/builders") { [self] request, _ -> Response in
            await rendering {
                let query = WebForm(query: request)
                let search = query.text("q")
                let (builders, tags) = try await filteredBuilders(search: search, tag: query.text("tag"))
                let paging = try WebPaging(request: request, total: builders.count)
                let shown = Array(builders.dropFirst(paging.offset).prefix(paging.limit))
                let ids = shown.map(\.id)
                let latest = try await database.builds.getLatestBuilds(builderids: ids)
                let running = try await database.builds.getRunningBuildCounts(builderids: ids)
                let queues = try await database.buildRequests.getQueues(builderids: ids)
                let rows = shown.map { builder in
                    Self.item([
                        "builderName": builder.name, "builderHref": "/builders/\(builder.id)",
                        "builderTags": Self.tagLinks(builder.tags, path: "/builders"),
                        "lastBuild": latest[builder.id].map(Self.lastBuild),
                        "running": running[builder.id] ?? 0, "pending": queues[builder.id]?.pending ?? 0,
                        "inactive": builder.masterIDs.isEmpty,
                    ])
                }
                return page(
                    "builders", title: "Builders", section: "builders", feed: ["builds/*/*", "buildrequests/*/*"],
                    Self.context([
                        "search": search ?? "", "searching": search != nil, "tags": tags, "hasTags": !tags.isEmpty,
                        "tagged": tags.contains { $0["current"] as? Bool == true },
                        "builders": rows, "empty": rows.isEmpty, "paging": paging.context,
                    ]))
            }
        }
    }

    /// The builders `search` (part of the name, any case) and `tag` select, by name; and every tag of every
    /// builder as a filter link, the one `tag` names marked current.
    func filteredBuilders(search: String?, tag: String?, path: String = "/builders") async throws
        -> (builders: [Builder], tags: [[String: Any]])
    {
        let all = try await database.builders.getBuilders()
        let needle = search?.lowercased()
        let selected = all.filter { builder in
            let named = needle.map { builder.name.lowercased().contains($0) } ?? true
            return named && (tag.map { builder.tags.contains($0) } ?? true)
        }
        .sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        let tags = Set(all.flatMap(\.tags)).sorted().map { name in
            Self.item(["tagName": name, "tagHref": WebForm.link(path, [("tag", name)]), "current": name == tag])
        }
        return (selected, tags)
    }

    /// Links to the builders list filtered by each of `tags`.
    static func tagLinks(_ tags: [String], path: String) -> [[String: Any]] {
        tags.map { tag -> [String: Any] in ["tagName": tag, "tagHref": WebForm.link(path, [("tag", tag)])] }
    }

    /// A builder's newest build as its row shows it.
    private static func lastBuild(_ build: BuildsConnector.Summary) -> [String: Any] {
        item([
            "href": buildPath(build), "number": build.number,
            "state": WebFormat.state(build.results, complete: build.completeAt != nil),
            "when": WebFormat.time(build.completeAt ?? build.startedAt),
        ])
    }
}
