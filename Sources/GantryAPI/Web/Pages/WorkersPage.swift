import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// The most workers one bulk action takes: a page lists 50.
    private static let bulkWorkerLimit = 200
    /// The errors of a worker control that the page shows as its answer; any other is the master's failure.
    private static let refusalCodes: Set<GantryError.Code> = [.conflict, .notFound, .invalidArgument]

    /// `GET /workers` (`?state=connected|disconnected|paused`, paged): each worker's state, masters, builds now and
    /// number of builders, with its controls. `POST /ui/workers/{name}/pause|unpause|graceful|kill` controls one
    /// worker (`reason` for pause and kill); `POST /ui/workers/bulk` does one `action` to every ticked `worker`
    /// (the field repeated), with one `reason`. Each answers 303 to the form's `next` page (the workers page by
    /// default), 404 for an unknown worker (nothing done), 400 for a form without an action or a worker, and 409
    /// with what could not be done (a kill of a worker that is not connected; the others are done).
    func addWorkerPages(to router: Router<APIRequestContext>) {
        router.get("/workers") { [self] request, _ -> Response in
            await rendering {
                try await workersPage(request, selection: try Self.selection(request))
            }
        }
        for action in WorkerAction.allCases {
            router.post("/ui/workers/{name}/\(action.rawValue)") { [self] request, context -> Response in
                await rendering {
                    let form = try await WebForm.read(request)
                    let name = Self.pathParameter("name", of: context)
                    guard let worker = try await control.worker(name) else {
                        return notFoundPage("There is no worker named '\(name)'.")
                    }
                    return try await carryOut(action, on: [worker.name], form)
                }
            }
        }
        router.post("/ui/workers/bulk") { [self] request, _ -> Response in
            await rendering {
                let form = try await WebForm.read(request)
                guard let action = form["action"].flatMap(WorkerAction.init(rawValue:)) else {
                    throw WebRefusal(.badRequest, "Choose what to do with the selected workers.")
                }
                var seen: Set<String> = []
                let names = form.fields.filter { $0.name == "worker" && seen.insert($0.value).inserted }.map(\.value)
                guard !names.isEmpty else { throw WebRefusal(.badRequest, "Select at least one worker.") }
                guard names.count <= Self.bulkWorkerLimit else {
                    throw WebRefusal(.badRequest, "Select at most \(Self.bulkWorkerLimit) workers at a time.")
                }
                var unknown: [String] = []
                for name in names {
                    if try await control.worker(name) == nil { unknown.append("'\(name)'") }
                }
                guard unknown.isEmpty else {
                    let list = unknown.joined(separator: ", ")
                    return notFoundPage("There is no worker named \(list); nothing was done.")
                }
                return try await carryOut(action, on: names, form)
            }
        }
    }

    /// Does `action` to each worker of `names`, then answers 303 to the form's `next` page; when the control
    /// refuses some (a kill of a worker that is not connected), the others are still done and a 409 page says
    /// which were not.
    private func carryOut(_ action: WorkerAction, on names: [String], _ form: WebForm) async throws -> Response {
        let reason = form.text("reason")
        // All or nothing as far as the rules go: a refusal for one worker leaves the others untouched.
        for name in names {
            try control.authorize(action.access, AccessTarget(worker: name), "worker \(name)")
        }
        var refusals: [String] = []
        for name in names {
            do {
                switch action {
                case .pause: try await control.pauseWorker(name, reason: reason)
                case .unpause: try await control.unpauseWorker(name)
                case .graceful: try await control.stopWorkerGracefully(name)
                case .kill: try await control.killWorker(name, reason: reason)
                }
            } catch let error as GantryError where Self.refusalCodes.contains(error.code) {
                refusals.append(error.message)
            }
        }
        let back = form.next ?? "/workers"
        guard refusals.isEmpty else {
            let done = names.count - refusals.count
            let others = done > 0 ? " Done for the other \(done)." : ""
            return messagePage(.conflict, "Not done: \(refusals.joined(separator: "; ")).\(others)", back: back)
        }
        return seeOther(back)
    }

    /// The workers `selection` picks, the page `request` asks for; each form returns to that page.
    private func workersPage(_ request: Request, selection: WorkersConnector.Selection) async throws -> Response {
        let (workers, paging) = try await paged(request) { offset, limit in
            try await database.workers.getWorkerPage(selection, offset: offset, limit: limit)
        }
        let masters = try await masterNames(workers.flatMap(\.connectedTo))
        let filters = WorkersConnector.Selection.allCases.map { choice -> [String: Any] in
            let href = WebForm.link("/workers", [("state", choice == .all ? nil : choice.rawValue)])
            return ["label": choice.rawValue, "href": href, "current": choice == selection]
        }
        let actions: [[String: Any]] = WorkerAction.allCases.filter { control.mayAnywhere($0.access) }.map {
            ["value": $0.rawValue, "label": $0.label]
        }
        return page(
            "workers", title: "Workers", section: "workers", feed: ["workers/*/*", "builds/*/*"],
            [
                "workers": workers.map { Self.workerRow($0, masters: masters) }, "empty": workers.isEmpty,
                "filtered": selection != .all, "filters": filters, "actions": actions,
                "hasActions": !actions.isEmpty,
                "returnTo": request.uri.string, "paging": paging,
            ])
    }

    private static func workerRow(_ worker: WorkersConnector.Listed, masters: [Int: String]) -> [String: Any] {
        let connected = !worker.connectedTo.isEmpty
        let reason = worker.pauseReason ?? ""
        return [
            "id": worker.id, "name": worker.name, "path": WebForm.escape(worker.name), "connected": connected,
            "masters": worker.connectedTo.map { masters[$0] ?? "master \($0)" }.joined(separator: ", "),
            "paused": worker.paused, "pauseReason": reason, "hasPauseReason": !reason.isEmpty,
            "graceful": worker.graceful, "killRequested": worker.killRequested,
            "canStop": connected && !worker.graceful, "canKill": connected && !worker.killRequested,
            "builds": worker.runningBuilds.map { build in
                [
                    "href": "/builders/\(build.builderID)/builds/\(build.number)",
                    "label": "\(build.builderName) #\(build.number)",
                ]
            },
            "builderCount": worker.builderCount,
        ]
    }

    /// The list `?state=` asks for; all workers when absent.
    private static func selection(_ request: Request) throws -> WorkersConnector.Selection {
        guard let text = WebForm(query: request).text("state") else { return .all }
        guard let selection = WorkersConnector.Selection(rawValue: text) else {
            throw WebRefusal(.badRequest, "'state' must be connected, disconnected or paused, not '\(text)'")
        }
        return selection
    }
}

/// What a worker's forms ask of it: the data API's worker controls.
private enum WorkerAction: String, CaseIterable {
    case pause, unpause, graceful, kill

    var label: String {
        switch self {
        case .pause: "Pause"
        case .unpause: "Unpause"
        case .graceful: "Stop gracefully"
        case .kill: "Kill"
        }
    }

    /// What the access rules call it.
    var access: AccessAction {
        switch self {
        case .pause, .unpause: .pauseWorker
        case .graceful: .gracefulWorker
        case .kill: .killWorker
        }
    }
}
