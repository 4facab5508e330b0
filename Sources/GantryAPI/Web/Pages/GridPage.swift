import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// Changes the grid shows, newest first.
    static let gridChanges = 10

    /// `GET /grid`: the builders (rows, by name, 50 a page, `?tag=` to narrow them) by the newest changes
    /// (columns: short revision and author), each cell the result of the newest build of that change on that
    /// builder, linked to it. The cells are read in one statement for the page's builders and the changes'
    /// source stamps.
    func addGridPages(to router: Router<APIRequestContext>) {
        router.get("/grid") { [self] request, _ -> Response in
            await rendering {
                let (builders, tags) = try await filteredBuilders(
                    search: nil, tag: WebForm(query: request).text("tag"), path: "/grid")
                let paging = try WebPaging(request: request, total: builders.count)
                let shown = builders.dropFirst(paging.offset).prefix(paging.limit)
                let changes = try await database.changes.getRecentChanges(Self.gridChanges).reversed()
                let cells = try await database.builds.getBuilds(
                    sourceStampIDs: changes.map(\.sourceStampID), builderids: shown.map(\.id))
                let columns = changes.map { change in
                    Self.item([
                        "changeRevision": change.revision.map { String($0.prefix(8)) } ?? "#\(change.id)",
                        "changeAuthor": change.author, "changeComments": change.comments,
                    ])
                }
                let rows = shown.map { builder in
                    Self.item([
                        "builderName": builder.name, "builderHref": "/builders/\(builder.id)",
                        "cells": changes.map { change in
                            Self.gridCell(cells[.init(sourceStampID: change.sourceStampID, builderID: builder.id)])
                        },
                    ])
                }
                return page(
                    "grid", title: "Grid", section: "grid", feed: ["builds/*/*", "changes/*/*"],
                    Self.context([
                        "changes": columns, "noChanges": columns.isEmpty, "builders": rows, "empty": rows.isEmpty,
                        "tags": tags, "hasTags": !tags.isEmpty,
                        "tagged": tags.contains { $0["current"] as? Bool == true },
                        "paging": paging.context,
                    ]))
            }
        }
    }

    /// A cell of the grid: the build's result linked to it, or nothing when the builder did not build the change.
    private static func gridCell(_ build: BuildsConnector.Summary?) -> [String: Any] {
        item([
            "cellHref": build.map(buildPath), "cellNumber": build?.number,
            "cellState": build.map { WebFormat.state($0.results, complete: $0.completeAt != nil) },
        ])
    }
}
