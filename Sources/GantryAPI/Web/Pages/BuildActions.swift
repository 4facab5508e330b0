import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// The forms of the build pages and request lists, each carried out as the JSON-RPC API's call would be:
    ///
    /// - `POST /ui/builds/{id}/stop` (`reason`): asks the master running the build to stop it; 303 to the build.
    /// - `POST /ui/builds/{id}/rebuild` (`reason`): a new request for the build's builder with the same source
    ///   stamps and properties; 303 to the builder, where it waits.
    /// - `POST /ui/buildrequests/{id}/cancel` (`reason`): cancels a waiting request, or stops its build; 303 to the
    ///   request's builder.
    ///
    /// A form's `next` (a path on this server) replaces where each sends the browser. An unknown id is 404, a
    /// build already finished or a request already complete 409, each on an error page.
    func addBuildActions(to router: Router<APIRequestContext>) {
        router.post("/ui/builds/{id}/stop") { [self] request, context -> Response in
            await rendering {
                let form = try await WebForm.read(request)
                let id = try Self.id(context)
                try await control.stopBuild(id, reason: form.text("reason") ?? "stopped from the web UI")
                return seeOther(form.next ?? "/builds/\(id)")
            }
        }
        router.post("/ui/builds/{id}/rebuild") { [self] request, context -> Response in
            await rendering {
                let form = try await WebForm.read(request)
                let added = try await control.rebuild(try Self.id(context), reason: form.text("reason"))
                return seeOther(form.next ?? added.requests.keys.first.map { "/builders/\($0)" } ?? "/")
            }
        }
        router.post("/ui/buildrequests/{id}/cancel") { [self] request, context -> Response in
            await rendering {
                let form = try await WebForm.read(request)
                let id = try Self.id(context)
                guard let buildRequest = try await database.buildRequests.getBuildRequest(id) else {
                    return notFoundPage("There is no build request \(id).")
                }
                _ = try await control.cancelBuildRequest(id, reason: form.text("reason") ?? "cancelled from the web UI")
                return seeOther(form.next ?? "/builders/\(buildRequest.builderID)")
            }
        }
    }

    /// The path's `{id}` as a number.
    /// - Throws: `GantryError.notFound` when it is not one: no such object can exist.
    private static func id(_ context: APIRequestContext) throws -> Int {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int(text) else { throw GantryError(.notFound, "There is nothing with id '\(text)'.") }
        return id
    }
}
