import Foundation
import GantryModel
import GantryStorage
import Hummingbird

extension WebUI {
    /// Lines a log page renders on the server: the log script then shows the rest on demand.
    static let logWindow = 500
    /// The longest text searched for, as the search endpoint takes it.
    static let logSearchLimit = 200

    /// `GET /logs/{id}`: the log viewer. The page holds a window of 500 lines from `?from=N` (from 0; lines are
    /// numbered as the API numbers them, so `#L120` names line 120), with links to the neighbouring windows, the
    /// step's build and the raw download, and the search form: `?q=` finds the next line containing the text
    /// (any case, colours ignored) after `at` (the match shown) or from the window's first line, or with
    /// `direction=previous` the one before; the window then starts at the match. Only the window is read.
    func addLogPages(to router: Router<APIRequestContext>) {
        router.get("/logs/{id}") { [self] request, context -> Response in
            await rendering {
                let id = context.parameters.get("id") ?? ""
                guard let logID = Int(id), let log = try await database.logs.getLog(logID) else {
                    return notFoundPage("There is no log \(id).")
                }
                return try await logPage(log, query: WebForm(query: request))
            }
        }
    }

    private func logPage(_ log: StepLog, query: WebForm) async throws -> Response {
        guard let step = try await database.steps.getStep(log.stepID),
            let build = try await database.builds.getBuildSummary(step.buildID)
        else { throw GantryError(.notFound, "The build of log \(log.id) is gone.") }
        let lastStart = max(log.numLines - Self.logWindow, 0)
        let requested = try query.integer("from") ?? 0
        var from = min(requested, lastStart)
        let search = try LogSearch(query, windowStart: requested)
        var match: Int?
        if let search {
            match = try await search.find(in: log, database: database)
            if let match { from = match }
        }
        let last = min(from.addingSaturated(Self.logWindow), log.numLines) - 1
        let text = try await last < from ? "" : database.logs.getLogLines(log.id, first: from, last: last)
        // Split at `\n` bytes: a line ending in `\r` is followed by a `\r\n` Character.
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
            .enumerated().map { offset, line in
                let number = from + offset
                return Self.logLine(number: number, Substring(line), stdio: log.kind == .stdio, match: number == match)
            }
        func window(_ start: Int) -> String { WebForm.link("/logs/\(log.id)", [("from", String(start))]) }
        return page(
            "log", title: "\(log.name) · \(step.name) · \(build.builderName) #\(build.number)", section: "builders",
            feed: [],
            Self.context([
                "logID": log.id, "logName": log.name, "numLines": log.numLines, "complete": log.complete,
                "type": log.kind.rawValue, "stepName": step.name,
                "buildHref": Self.buildPath(build), "buildTitle": "\(build.builderName) #\(build.number)",
                "rawHref": "/api/v2/logs/\(log.id)/raw",
                "windowStart": from, "windowEnd": last, "lines": lines, "empty": lines.isEmpty,
                "earlier": from > 0 ? window(max(from - Self.logWindow, 0)) : nil,
                "later": last + 1 < log.numLines ? window(last + 1) : nil,
                "start": from > 0 ? window(0) : nil,
                "end": last + 1 < log.numLines ? window(lastStart) : nil,
                "query": search?.text ?? "", "at": match,
                "missed": search != nil && match == nil ? search?.text : nil,
                "logScript": WebAssets.path("log.js"),
            ]))
    }

    /// One line as the viewer's markup shows it: a stdio line's first character is its channel (`o`, `e`, `h`);
    /// the text has its colour escapes removed and carriage returns folded (what a terminal would leave).
    private static func logLine(number: Int, _ line: Substring, stdio: Bool, match: Bool) -> [String: Any] {
        let channel = stdio ? line.unicodeScalars.first.map { String($0) } ?? "o" : "o"
        let text = stdio ? Substring(line.unicodeScalars.dropFirst()) : line
        return item([
            "number": number, "channel": ["o", "e", "h"].contains(channel) ? channel : "o",
            "text": LogText.plain(text), "hit": match,
        ])
    }
}

/// A search of the log page's form: the text, which way, and the line it looks from.
private struct LogSearch {
    let text: String
    let direction: LogsConnector.SearchDirection
    /// The line to look after (next) or before (previous).
    let origin: Int

    /// The search `query` asks for; `nil` without a text. It looks from the match the page showed (`at`), else
    /// from the window at `windowStart`: next finds its first line on, previous the lines before it.
    init?(_ query: WebForm, windowStart: Int) throws {
        guard let text = query.text("q") else { return nil }
        guard text.count <= WebUI.logSearchLimit else {
            throw GantryError(.invalidArgument, "the search text is longer than \(WebUI.logSearchLimit) characters")
        }
        let name = query["direction"] ?? LogsConnector.SearchDirection.next.rawValue
        guard let direction = LogsConnector.SearchDirection(rawValue: name) else {
            throw GantryError(.invalidArgument, "'direction' must be next or previous, not '\(name)'")
        }
        self.text = text
        self.direction = direction
        origin = try query.integer("at", minimum: -1) ?? (direction == .next ? windowStart - 1 : windowStart)
    }

    /// The matching line of `log`; `nil` when there is none that way.
    func find(in log: StepLog, database: Database) async throws -> Int? {
        try await database.logs.searchLog(log.id, kind: log.kind, for: text, from: origin, direction: direction)
    }
}
