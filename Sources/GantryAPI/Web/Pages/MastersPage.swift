import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// `GET /masters`: the masters, active ones first, by name and paged, each with its last check-in and what it
    /// holds: schedulers, change sources, pools, connected workers and builds running now (counted in the
    /// database for the page's masters only).
    func addMasterPages(to router: Router<APIRequestContext>) {
        router.get("/masters") { [self] request, _ -> Response in
            await rendering {
                let (masters, paging) = try await paged(request) { offset, limit in
                    try await database.masters.getMasters(
                        ResultSpec(
                            order: [Ordering(.active, descending: true), Ordering(.name)], limit: limit,
                            offset: offset))
                }
                let holdings = try await database.masters.getHoldings(of: masters.map(\.id))
                let rows = masters.map { master -> [String: Any] in
                    let held = holdings[master.id] ?? MastersConnector.Holdings()
                    return [
                        "id": master.id, "name": master.name, "active": master.active, "this": master.id == masterID,
                        "lastActive": WebFormat.time(master.lastActive), "schedulers": held.schedulers,
                        "changeSources": held.changeSources, "pools": held.pools, "workers": held.connectedWorkers,
                        "builds": held.runningBuilds,
                    ]
                }
                return page(
                    "masters", title: "Masters", section: "masters", feed: ["masters/*/*", "workers/*/*"],
                    ["masters": rows, "empty": rows.isEmpty, "paging": paging])
            }
        }
    }
}
