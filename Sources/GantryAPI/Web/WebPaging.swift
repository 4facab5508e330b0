import GantryModel
import Hummingbird

/// Which page of a long list a request shows (`?page=N`, from 1), and the links to its neighbours, so every
/// list works without scripts and no page reads more than it shows.
struct WebPaging {
    /// The highest page asked for that is not refused: its offset stays far inside `Int`.
    private static let maxPage = 1_000_000_000

    /// The page shown, from 1.
    let number: Int
    /// The items in the whole list.
    let total: Int
    /// The items on one page.
    let limit: Int
    /// The request's path and its query options other than `page`, which the links keep.
    private let path: String
    private let options: [(name: String, value: String?)]

    /// The page `request` asks for (`page`, the first when it names none) of a list of `total` items, its links
    /// to the request's path with its other options.
    /// - Throws: `GantryError.invalidArgument` (400) when `page` is not a whole number from 1.
    init(request: Request, total: Int, perPage: Int = 50) throws {
        try self.init(path: request.uri.path, query: WebForm(query: request), total: total, perPage: perPage)
    }

    /// The page `query` asks for of a list of `total` items at `path` (a page shown in answer to a form posted
    /// elsewhere links to the page's own path).
    init(path: String, query: WebForm, total: Int, perPage: Int = 50) throws {
        number = try query.integer("page", minimum: 1) ?? 1
        guard number <= Self.maxPage else {
            throw GantryError(.invalidArgument, "'page' must be at most \(Self.maxPage)")
        }
        self.total = max(total, 0)
        limit = max(perPage, 1)
        self.path = path
        options = query.fields.filter { $0.name != "page" }.map { ($0.name, $0.value) }
    }

    /// How many items come before this page.
    var offset: Int { (number - 1).multipliedReportingOverflow(by: limit).overflow ? .max : (number - 1) * limit }

    /// The context of the `paging` partial (`{{#paging}}{{> paging}}{{/paging}}`): the page, the number of pages,
    /// the total, and the links to the previous and next pages when there are such pages (a page past the end
    /// links back to the last one).
    var context: [String: Any] {
        let pages = max(1, total / limit + (total % limit == 0 ? 0 : 1))
        func link(_ page: Int) -> String {
            WebForm.link(path, options + [("page", page == 1 ? nil : String(page))])
        }
        return WebUI.item([
            "page": number, "pages": pages, "total": total,
            "previous": number > 1 ? link(min(number - 1, pages)) : nil,
            "next": number < pages ? link(number + 1) : nil,
        ])
    }
}
