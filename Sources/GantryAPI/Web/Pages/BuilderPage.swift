import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// Waiting requests listed on a builder's page; more are counted.
    static let builderPendingLimit = 50

    /// `GET /builders/{id}`: the builder's builds, newest first and paged (`?page=N`), its waiting requests each
    /// with a cancel form, the workers configured on it and their state, and a form for each force scheduler that
    /// builds it.
    func addBuilderPages(to router: Router<APIRequestContext>) {
        router.get("/builders/{id}") { [self] request, context -> Response in
            await rendering {
                let id = context.parameters.get("id") ?? ""
                guard let builder = try await findBuilder(id) else { return notFoundPage("There is no builder \(id).") }
                return try await builderPage(builder, query: WebForm(query: request))
            }
        }
    }

    /// The builder whose id is `id`; `nil` when there is none.
    func findBuilder(_ id: String?) async throws -> Builder? {
        guard let id = id.flatMap({ Int($0) }) else { return nil }
        return try await database.builders.getBuilders().first { $0.id == id }
    }

    /// The page of `builder` with the options of `query`. A force form posted back with what was wrong
    /// (`submission`) shows what was typed and each field's error; such a page answers a post, so it follows no
    /// events (fetching the post's address again would not show it).
    func builderPage(
        _ builder: Builder, query: WebForm, status: HTTPResponse.Status = .ok, submission: ForceSubmission? = nil
    ) async throws -> Response {
        let path = "/builders/\(builder.id)"
        let now = database.clock.now()
        let total = try await database.builds.getBuilderBuilds(builder.id, offset: 0, limit: 0).total
        let paging = try WebPaging(path: path, query: query, total: total)
        let builds = try await database.builds.getBuilderBuilds(
            builder.id, offset: paging.offset, limit: paging.limit)
        let pending = try await database.buildRequests.getBuildRequests(
            try ResultSpec<BuildRequestField>(
                filters: [
                    .equal(.builderid, .int(builder.id)), .equal(.complete, .bool(false)),
                    .equal(.claimed, .bool(false)),
                ],
                limit: Self.builderPendingLimit))
        let workers = try await database.workers.getWorkers(builderid: builder.id).sorted { $0.name < $1.name }
        // Only the forms the requester may use (forcing checks again).
        let forces = forceSchedulers.all.filter {
            $0.options.builderNames.contains(builder.name)
                && control.may(.force, on: AccessTarget(builder: builder.name, scheduler: $0.name))
        }
        let pendingRows = pending.items.map { request in
            Self.item([
                "requestID": request.id, "priority": request.priority,
                "submitted": WebFormat.time(request.submittedAt),
                "waited": WebFormat.duration(from: request.submittedAt, to: now),
                "cancelAction": "/ui/buildrequests/\(request.id)/cancel",
            ])
        }
        let workerRows = workers.map { worker in
            Self.item([
                "workerName": worker.name, "workerHref": Self.workerPath(worker.id),
                "connected": !worker.connectedTo.isEmpty, "paused": worker.paused, "pauseReason": worker.pauseReason,
                "graceful": worker.graceful,
            ])
        }
        return page(
            "builder", title: builder.name, section: "builders",
            feed: submission == nil ? ["builds/*/*", "buildrequests/*/*"] : [],
            feedFilter: ["builderid": builder.id], status: status,
            Self.context([
                "builderID": builder.id, "name": builder.name, "description": builder.description,
                "tags": Self.tagLinks(builder.tags, path: "/builders"), "inactive": builder.masterIDs.isEmpty,
                "builds": ["rows": builds.items.map { Self.buildRow($0, now: now) }],
                "buildsEmpty": builds.items.isEmpty, "paging": paging.context,
                "pending": pendingRows, "pendingEmpty": pendingRows.isEmpty, "pendingTotal": pending.total,
                "pendingHidden": pending.total > pendingRows.count ? pending.total - pendingRows.count : nil,
                "returnTo": path,
                "workers": workerRows, "workersEmpty": workerRows.isEmpty,
                "forces": forces.enumerated().map { index, scheduler in
                    Self.forceForm(
                        scheduler, number: index,
                        submission: submission?.scheduler == scheduler.name ? submission : nil)
                },
            ]))
    }
}
