import Foundation
import GantryModel
import GantryStorage
import Hummingbird

/// What the farm pages (workers, pools, build requests, changes, schedulers, masters, reporters) share: paging a
/// list read from the database, naming masters, and reading names from paths.
extension WebUI {
    /// The page of a list that `request` asks for, with its paging links. `load` reads the list at an offset and
    /// limit, with the list's total; a page's place does not depend on the total, so one read serves both.
    func paged<Item: Sendable>(
        _ request: Request, _ load: (_ offset: Int, _ limit: Int) async throws -> Page<Item>
    ) async throws -> (items: [Item], paging: [String: Any]) {
        let asked = try WebPaging(request: request, total: 0, perPage: 50)
        let page = try await load(asked.offset, asked.limit)
        let paging = try WebPaging(request: request, total: page.total, perPage: 50)
        return (page.items, paging.context)
    }

    /// The names of the masters `ids`, by id, in one bounded query; an unknown id has none.
    func masterNames(_ ids: some Sequence<Int>) async throws -> [Int: String] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        let spec = try ResultSpec<MasterField>(filters: [Filter(.masterid, .eq, unique.map(QueryValue.int))])
        return Dictionary(
            uniqueKeysWithValues: try await database.masters.getMasters(spec).items.map { ($0.id, $0.name) })
    }

    /// The path parameter `name`, percent-decoded: links escape names with ``WebForm/escape(_:)``, and a worker's
    /// name may hold any character from U+00A0 up.
    static func pathParameter(_ name: String, of context: APIRequestContext) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
