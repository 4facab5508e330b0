import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// `GET /changes`: the changes, newest first and paged, each with its author, revision, branch, repository,
    /// project, the first line of its comments, when it was made and how many files it touched.
    func addChangePages(to router: Router<APIRequestContext>) {
        router.get("/changes") { [self] request, _ -> Response in
            await rendering {
                let (changes, paging) = try await paged(request) { offset, limit in
                    try await database.changes.getChanges(
                        ResultSpec(order: [Ordering(.changeid, descending: true)], limit: limit, offset: offset))
                }
                return page(
                    "changes", title: "Changes", section: "changes", feed: ["changes/*/*"],
                    ["changes": changes.map(Self.changeRow), "empty": changes.isEmpty, "paging": paging])
            }
        }
    }

    private static func changeRow(_ change: Change) -> [String: Any] {
        let revision = change.revision ?? ""
        // Only a web address becomes a link: a revlink comes from outside and could be a script.
        let revlink = change.revlink.flatMap { $0.hasPrefix("https://") || $0.hasPrefix("http://") ? $0 : nil }
        return [
            "id": change.id, "author": change.author, "revision": String(revision.prefix(12)),
            "fullRevision": revision, "revlink": revlink ?? "", "linked": revlink != nil && !revision.isEmpty,
            "branch": change.branch ?? "", "repository": change.repository, "project": change.project,
            "comment": change.comments.split(whereSeparator: \.isNewline).first.map(String.init) ?? "",
            "when": WebFormat.time(change.when), "files": change.files.count,
        ]
    }
}
