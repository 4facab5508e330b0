import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// `GET /schedulers`: the schedulers by name, paged, each enabled or not and with the master holding it.
    /// `POST /ui/schedulers/{id}/enable` and `/disable` switch one (a disabled scheduler keeps its claim but adds
    /// no buildsets), then answer 303 to the form's `next` page (the schedulers page by default); an unknown id is
    /// 404.
    func addSchedulerPages(to router: Router<APIRequestContext>) {
        router.get("/schedulers") { [self] request, _ -> Response in
            await rendering {
                let (schedulers, paging) = try await paged(request) { offset, limit in
                    try await database.schedulers.getSchedulerPage(offset: offset, limit: limit)
                }
                let masters = try await masterNames(schedulers.compactMap(\.masterID))
                return page(
                    "schedulers", title: "Schedulers", section: "schedulers", feed: ["schedulers/*/*"],
                    [
                        "schedulers": schedulers.map { Self.schedulerRow($0, masters: masters) },
                        "empty": schedulers.isEmpty, "returnTo": request.uri.string, "paging": paging,
                    ])
            }
        }
        for (verb, enabled) in [("enable", true), ("disable", false)] {
            router.post("/ui/schedulers/{id}/\(verb)") { [self] request, context -> Response in
                await rendering {
                    let form = try await WebForm.read(request)
                    let key = Self.pathParameter("id", of: context)
                    guard let id = Int(key), try await database.schedulers.getScheduler(id) != nil else {
                        return notFoundPage("There is no scheduler with id '\(key)'.")
                    }
                    try await control.setSchedulerEnabled(id, enabled)
                    return seeOther(form.next ?? "/schedulers")
                }
            }
        }
    }

    private static func schedulerRow(_ scheduler: SchedulerInfo, masters: [Int: String]) -> [String: Any] {
        [
            "id": scheduler.id, "name": scheduler.name, "enabled": scheduler.enabled,
            "claimed": scheduler.masterID != nil,
            "master": scheduler.masterID.map { masters[$0] ?? "master \($0)" } ?? "",
        ]
    }
}
