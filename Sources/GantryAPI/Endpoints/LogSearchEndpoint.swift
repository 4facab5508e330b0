import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// The longest text a log search takes, in characters.
    static let maxSearchText = 200

    /// `GET /api/v2/logs/{id}/search?q=TEXT&from=N&direction=next|previous`: `{"line": K}`, the first line after
    /// `from` (next, the default) or before it (previous) whose text contains `q`, case-insensitively and ignoring
    /// SGR colour codes, as the log viewer shows it; `{"line": null}` when there is none. `from` defaults to -1 going
    /// forward (from the start) and to the end of the log going back.
    func addLogSearch(to router: Router<APIRequestContext>) {
        router.get("/api/v2/logs/{id}/search") { [database] request, context -> Response in
            await APIResponse.answering(logger: logger) {
                let search = try LogSearch(Self.options(of: request))
                let log = try await Self.log(context.parameters.get("id"), database: database)
                let line = try await database.logs.searchLog(
                    log.id, kind: log.kind, for: search.text, from: search.from ?? search.defaultStart(log),
                    direction: search.direction)
                return APIResponse.json(.ok, ["line": line.map { JSONValue.number(Double($0)) } ?? .null])
            }
        }
    }
}

/// The options of a log search.
private struct LogSearch {
    var text: String
    var from: Int?
    var direction: LogsConnector.SearchDirection = .next

    init(_ options: [(key: String, value: String)]) throws(GantryError) {
        var text: String?
        for (key, value) in options {
            switch key {
            case "q":
                guard (1...HTTPAPI.maxSearchText).contains(value.count) else {
                    throw GantryError(.invalidArgument, "'q' must be 1 to \(HTTPAPI.maxSearchText) characters")
                }
                text = value
            case "from":
                guard let line = Int(value), line >= -1 else {
                    throw GantryError(.invalidArgument, "'from' must be a line number (at least -1), not '\(value)'")
                }
                from = line
            case "direction":
                guard let direction = LogsConnector.SearchDirection(rawValue: value) else {
                    throw GantryError(.invalidArgument, "'direction' must be next or previous, not '\(value)'")
                }
                self.direction = direction
            default:
                throw GantryError(
                    .invalidArgument, "unknown option '\(key)'; use q=TEXT, from=LINE and direction=next|previous")
            }
        }
        guard let text else { throw GantryError(.invalidArgument, "'q', the text to search for, is required") }
        self.text = text
    }

    /// Where the search starts when `from` is not given: before the first line going forward, after the last going
    /// back.
    func defaultStart(_ log: StepLog) -> Int {
        direction == .next ? -1 : log.numLines
    }
}
